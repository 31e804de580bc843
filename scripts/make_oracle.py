#!/usr/bin/python3
"""Builds the load_state_dict oracle: what torch 1.13 really does for many (checkpoint, target) pairs.

Usage (torch must be importable; on the dev machines that is /usr/bin/python3):

    /usr/bin/python3 scripts/make_oracle.py src/test/resources/fixtures/oracle
    /usr/bin/python3 scripts/make_oracle.py /tmp/oracle --random 7 --count 200

For every case it writes CASE.ckpt.pt (the checkpoint, as people save them: flat, DataParallel,
Lightning-style or nested), CASE.target.pt (the fresh target's state_dict(keep_vars=True)), and an
entry in cases.json with the target's JSON description, a description of the checkpoint's state dict,
the options, and what torch did: outcome, missing and unexpected keys in torch's order, the exact
error text, and which target keys ended up with checkpoint values.

Non-default options (key rules, SKIP, COPY_OVERLAP, dtype CHECKPOINT, freeze) are applied here in
torch the way Graft documents them, then load_state_dict is called, so the expectation still comes
from torch. Tensors are tiny: the default output stays well under 2 MB.
"""

import argparse
import collections
import hashlib
import copy
import json
import os
import random
import re
import sys

import torch
import torch.nn as nn

# ---------------------------------------------------------------------------------------------------
# Models


class MLP(nn.Module):
    def __init__(self, d_in=4, hidden=6, d_out=3, extra=False, bn=False):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        if bn:
            self.bn = nn.BatchNorm1d(hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, d_out)
        if extra:
            self.extra = nn.Linear(d_out, 2)


class RenamedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(4, 6)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(6, 3)


class TextClassifier(nn.Module):
    def __init__(self, vocab=10, dim=4, classes=3, tie=False):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab if tie else classes, bias=not tie)
        if tie:
            self.head.weight = self.embed.weight


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Linear(3, 2)


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))


class ResNet(nn.Module):
    """torchvision's ResNet layout with 1-4 channels, so files stay tiny."""

    def __init__(self, layers, width=(1, 2, 3, 4), classes=2):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c = width[0]
        for i, (n, w) in enumerate(zip(layers, width)):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(c, w, 2 if (b == 0 and i > 0) else 1))
                c = w
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)


class Scalars(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))
        self.fc = nn.Linear(2, 2)
        self.register_buffer("step", torch.tensor(0, dtype=torch.long))
        self.register_buffer("mask", torch.ones(2, dtype=torch.bool))


class LayerStack(nn.Module):
    def __init__(self, n=2):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(n)])
        self.out = nn.Linear(2, 1)


class OldLayerStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer0 = nn.Linear(2, 2)
        self.layer1 = nn.Linear(2, 2)
        self.out = nn.Linear(2, 1)


class Frozen(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3))
        self.head = nn.Linear(3, 2)
        for p in self.backbone.parameters():
            p.requires_grad_(False)


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
        self.b = nn.ModuleDict({"x": nn.Linear(2, 2), "y": nn.LayerNorm(2)})
        self.register_buffer("counter", torch.zeros(1))


# ---------------------------------------------------------------------------------------------------
# Helpers


def sd_of(model, keep_vars=False):
    return model.state_dict(keep_vars=keep_vars)


def with_metadata(sd, metadata):
    out = collections.OrderedDict(sd)
    out._metadata = metadata
    return out


def without_metadata(sd):
    return collections.OrderedDict(sd.items())


def rename(sd, fn):
    out = collections.OrderedDict((fn(k), v) for k, v in sd.items())
    meta = getattr(sd, "_metadata", None)
    if meta is not None:
        out._metadata = collections.OrderedDict()
        for m, v in meta.items():
            dotted = m + "." if m else ""
            new = fn(dotted)
            new = new[:-1] if new.endswith(".") else new
            out._metadata[new if new != dotted else m] = v
    return out


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def describe_state_dict(sd):
    meta = getattr(sd, "_metadata", None) or {}
    return {
        "tensors": [
            {"key": k, "dtype": dtype_name(v), "shape": list(v.shape),
             "parameter": isinstance(v, nn.Parameter),
             "requiresGrad": bool(v.requires_grad) if isinstance(v, nn.Parameter) else None}
            for k, v in sd.items()],
        "moduleVersions": {m: v["version"] for m, v in meta.items() if "version" in v},
    }


def describe_target(model):
    entries = []
    for k, v in model.state_dict(keep_vars=True).items():
        param = isinstance(v, nn.Parameter)
        entries.append({"key": k, "dtype": dtype_name(v), "shape": list(v.shape),
                        "kind": "PARAMETER" if param else "BUFFER",
                        "requiresGrad": bool(v.requires_grad) if param else False})
    return {"name": model.__class__.__name__, "entries": entries}


def java_rule_to_python(rule):
    t = rule["type"]
    if t == "stripPrefix":
        p = rule["prefix"]
        return lambda k: k[len(p):] if k.startswith(p) else k
    if t == "addPrefix":
        p = rule["prefix"]
        return lambda k: p + k
    if t == "regex":
        pat = re.compile(rule["pattern"])
        rep = re.sub(r"\$(\d+)", r"\\g<\1>", rule["replacement"])
        return lambda k: pat.sub(rep, k)
    raise ValueError(t)


def glob_match(glob, key):
    return re.fullmatch(".*".join(re.escape(p) for p in glob.split("*")), key, re.S) is not None


def randomize(model, seed):
    """Distinct values everywhere, so where a value came from can be told afterwards."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for v in model.state_dict(keep_vars=True).values():
            if v.is_floating_point():
                v.copy_(torch.rand(v.shape, generator=g) + seed)
    return model


# ---------------------------------------------------------------------------------------------------
# Running one case


def tensor_sha(t):
    """SHA-256 of a tensor's elements, contiguous, little-endian, row-major (bool as one byte)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    if t.is_complex():
        t = torch.view_as_real(t).contiguous()
    return hashlib.sha256(t.numpy().tobytes()).hexdigest()


def run_case(outdir, name, source_sd, target, strict=True, options=None, wrap=None,
             state_dict_path="", keep_vars_checkpoint=False):
    options = dict(options or {})
    options.setdefault("strict", strict)
    target = randomize(target, 1000)
    target_file = name + ".target.pt"
    torch.save(target.state_dict(keep_vars=True), os.path.join(outdir, target_file))
    # The same target as a TorchScript archive, where the model scripts: Graft must read the same
    # layout from it (kinds from the archive's code, values from its records).
    script_file = name + ".target.jit.pt"
    try:
        torch.jit.save(torch.jit.script(target), os.path.join(outdir, script_file))
    except Exception:  # noqa: BLE001 - models TorchScript cannot compile are simply not offered
        script_file = None
    initial = {k: v.detach().clone() for k, v in target.state_dict().items()}

    ckpt_file = name + ".ckpt.pt"
    obj = wrap(source_sd) if wrap else source_sd
    torch.save(obj, os.path.join(outdir, ckpt_file))
    described = describe_state_dict(source_sd)

    # Graft's options, applied in torch.
    sd = source_sd
    for rule in options.get("keyRules", []):
        sd = rename(sd, java_rule_to_python(rule))
    meta = getattr(sd, "_metadata", None)
    sd = collections.OrderedDict((k, v.detach() if isinstance(v, torch.Tensor) else v) for k, v in sd.items())
    if meta is not None:
        sd._metadata = meta
    policy = options.get("onShapeMismatch", "FAIL")
    target_sd = target.state_dict()
    overlap = {}
    mismatched = []
    for k, v in list(sd.items()):
        if k in target_sd and not shapes_load(v.shape, target_sd[k].shape):
            mismatched.append(k)
            if policy == "SKIP" or (policy == "COPY_OVERLAP" and v.dim() != target_sd[k].dim()):
                sd[k] = target_sd[k].clone()  # the target keeps its initial value
            elif policy == "COPY_OVERLAP":
                block = tuple(slice(0, min(a, b)) for a, b in zip(v.shape, target_sd[k].shape))
                new = target_sd[k].clone()
                new[block] = v[block].to(new.dtype)
                overlap[k] = int(v[block].numel())
                sd[k] = new

    captured = {}

    def hook(module, incompatible):
        captured["missing"] = list(incompatible.missing_keys)
        captured["unexpected"] = list(incompatible.unexpected_keys)

    handle = target.register_load_state_dict_post_hook(hook)
    error = None
    try:
        target.load_state_dict(sd, strict=options["strict"])
    except RuntimeError as e:
        error = str(e)
    handle.remove()

    missing = captured["missing"]
    unexpected = captured["unexpected"]

    loaded, initialized = [], []
    for k in target.state_dict():
        if k in mismatched:
            continue
        (loaded if k in sd else initialized).append(k)
    expected_dtypes = {}
    if options.get("dtype") == "CHECKPOINT":
        for k in loaded:
            expected_dtypes[k] = dtype_name(sd[k])
    frozen = []
    for g in options.get("freeze", []):
        frozen += [e["key"] for e in describe_target(target)["entries"] if glob_match(g, e["key"])]

    # What the warm-started model holds, per key, as torch computed it: a run's artifacts must hold
    # exactly these bytes. Under dtype CHECKPOINT a loaded entry keeps the checkpoint's dtype.
    result = {}
    if not error:
        for k, v in target.state_dict().items():
            keep = options.get("dtype") == "CHECKPOINT" and k in loaded
            result[k] = tensor_sha(sd[k] if keep else v)

    return {
        "name": name,
        "checkpointFile": ckpt_file,
        "targetFile": target_file,
        "targetScriptFile": script_file,
        "stateDictPath": state_dict_path,
        "checkpoint": described,
        "target": describe_target(target),
        "options": options,
        "expected": {
            "outcome": "FAILED" if error else "OK",
            "missingKeys": missing,
            "unexpectedKeys": unexpected,
            "error": error,
            "loaded": [] if error else loaded,
            "initialized": [] if error else initialized,
            "mismatched": mismatched,
            "overlapNumel": overlap,
            "dtypes": expected_dtypes,
            "frozen": sorted(set(frozen)),
            "result": result,
        },
    }


def shapes_load(src, dst):
    return tuple(src) == tuple(dst) or (len(dst) == 0 and len(src) == 1 and src[0] > 0)


# ---------------------------------------------------------------------------------------------------
# The fixed cases


def fixed_cases(outdir):
    torch.manual_seed(0)
    cases = []

    def add(*args, **kwargs):
        cases.append(run_case(outdir, *args, **kwargs))

    for strict in (True, False):
        s = "strict" if strict else "lenient"
        add("identical_" + s, sd_of(MLP()), MLP(), strict)
        add("added_layer_" + s, sd_of(MLP()), MLP(extra=True), strict)
        add("removed_layer_" + s, sd_of(MLP(extra=True)), MLP(), strict)
        add("renamed_module_" + s, sd_of(MLP()), RenamedMLP(), strict)
        add("data_parallel_prefix_" + s, sd_of(nn.DataParallel(MLP())), MLP(), strict)
        add("grown_vocab_" + s, sd_of(TextClassifier(vocab=10)), TextClassifier(vocab=12), strict)
        add("shrunk_hidden_" + s, sd_of(MLP(hidden=6)), MLP(hidden=4), strict)
        add("resnet18_into_resnet34_old_metadata_" + s, old_bn(sd_of(ResNet([2, 2, 2, 2])), 1),
            ResNet([3, 4, 6, 3]), strict)
        add("mixed_errors_" + s, mixed_source(), MLP(hidden=5, extra=True), strict)

    add("half_into_float", {k: v.half() for k, v in sd_of(MLP()).items()}, MLP())
    add("bfloat16_into_float", with_metadata(collections.OrderedDict(
        (k, v.bfloat16()) for k, v in sd_of(MLP()).items()), sd_of(MLP())._metadata), MLP())
    add("float_into_half", sd_of(MLP()), MLP().half())
    add("tied_weights", sd_of(TextClassifier(tie=True)), TextClassifier(tie=True))
    add("tied_into_untied", sd_of(TextClassifier(vocab=3, tie=True)), TextClassifier(vocab=3), False)
    add("keep_vars_checkpoint", sd_of(MLP(), keep_vars=True), MLP())
    add("frozen_target", sd_of(Frozen()), Frozen(), options={"freeze": ["head.*"]})
    add("lightning_state_dict", rename(sd_of(MLP()), lambda k: "model." + k), MLP(), True,
        wrap=lambda sd: {"state_dict": sd, "epoch": 3, "global_step": 120}, state_dict_path="state_dict")
    add("lightning_strip_model_prefix", rename(sd_of(MLP()), lambda k: "model." + k), MLP(), True,
        options={"keyRules": [{"type": "stripPrefix", "prefix": "model."}]},
        wrap=lambda sd: {"state_dict": sd, "epoch": 3}, state_dict_path="state_dict")
    add("nested_model_state_dict", sd_of(MLP(bn=True)), MLP(bn=True), True,
        wrap=lambda sd: {"model_state_dict": sd, "optimizer_state_dict": {}, "epoch": 1},
        state_dict_path="model_state_dict")
    add("data_parallel_strip_rule", sd_of(nn.DataParallel(MLP(bn=True))), MLP(bn=True), True,
        options={"keyRules": [{"type": "stripPrefix", "prefix": "module."}]})
    add("data_parallel_old_bn_strip_rule", old_bn(sd_of(nn.DataParallel(MLP(bn=True))), 1), MLP(bn=True),
        True, options={"keyRules": [{"type": "stripPrefix", "prefix": "module."}]})
    add("backbone_add_prefix", sd_of(Backbone()), Detector(), False,
        options={"keyRules": [{"type": "addPrefix", "prefix": "backbone."}]})
    add("regex_layer_rename", sd_of(OldLayerStack()), LayerStack(), True,
        options={"keyRules": [{"type": "regex", "pattern": "^layer(\\d+)\\.", "replacement": "layers.$1."}]})
    add("regex_layer_unrenamed", sd_of(OldLayerStack()), LayerStack(), True)
    add("grown_vocab_skip", sd_of(TextClassifier(vocab=10)), TextClassifier(vocab=12), True,
        options={"onShapeMismatch": "SKIP"})
    add("grown_vocab_copy_overlap", sd_of(TextClassifier(vocab=10)), TextClassifier(vocab=12), True,
        options={"onShapeMismatch": "COPY_OVERLAP"})
    add("shrunk_copy_overlap_lenient", sd_of(MLP(hidden=6)), MLP(hidden=4, extra=True), False,
        options={"onShapeMismatch": "COPY_OVERLAP"})
    add("rank_mismatch_copy_overlap", conv_as_linear(), MLP(), True, options={"onShapeMismatch": "COPY_OVERLAP"})
    add("rank_mismatch_fail", conv_as_linear(), MLP(), False)
    add("half_checkpoint_dtype_policy", {k: v.half() for k, v in sd_of(MLP()).items()}, MLP(), True,
        options={"dtype": "CHECKPOINT"})
    add("bn_counter_removed_version1", old_bn(sd_of(MLP(bn=True)), 1), MLP(bn=True))
    add("bn_counter_removed_version2", old_bn(sd_of(MLP(bn=True)), 2), MLP(bn=True))
    add("bn_counter_removed_no_metadata", without_metadata(old_bn(sd_of(MLP(bn=True)), None)), MLP(bn=True))
    add("bn_counter_present_version1", with_version(sd_of(MLP(bn=True)), 1), MLP(bn=True))
    add("root_batchnorm_old", old_bn(sd_of(nn.BatchNorm1d(3)), 1), nn.BatchNorm1d(3))
    add("root_batchnorm_new_lenient", old_bn(sd_of(nn.BatchNorm1d(3)), 2), nn.BatchNorm1d(3), False)
    add("resnet18_into_resnet34_current", sd_of(ResNet([2, 2, 2, 2])), ResNet([3, 4, 6, 3]))
    add("resnet34_into_resnet18", sd_of(ResNet([3, 4, 6, 3])), ResNet([2, 2, 2, 2]))
    add("scalar_compat", scalar_source(), Scalars())
    add("scalar_from_zero_dim_into_vector", scalar_mismatch_source(), Scalars(), False)
    add("ignored_key_shapes", quirky_source(), MLP())
    add("unexpected_order", unexpected_order_source(), Deep())
    add("deep_missing_order", collections.OrderedDict(reversed(list(sd_of(Deep()).items()))), Deep(), True)
    add("empty_checkpoint", collections.OrderedDict(), MLP(bn=True))
    add("empty_checkpoint_lenient", collections.OrderedDict(), MLP(bn=True), False)
    add("extra_state_key", extra_state_source(), MLP())
    add("int_and_bool_buffers", sd_of(Scalars()), Scalars())
    return cases


def old_bn(sd, version):
    """A checkpoint from before num_batches_tracked: the counters removed, BN modules at `version`."""
    out = collections.OrderedDict((k, v) for k, v in sd.items() if not k.endswith("num_batches_tracked"))
    meta = copy.deepcopy(getattr(sd, "_metadata", collections.OrderedDict()))
    for k in sd:
        if k.endswith("num_batches_tracked"):
            module = k[: -len("num_batches_tracked")].rstrip(".")
            if version is None:
                meta.pop(module, None)
            else:
                meta[module] = {"version": version}
    out._metadata = meta
    return out


def with_version(sd, version):
    out = collections.OrderedDict(sd)
    meta = copy.deepcopy(sd._metadata)
    for k in sd:
        if k.endswith("num_batches_tracked"):
            meta[k[: -len("num_batches_tracked")].rstrip(".")] = {"version": version}
    out._metadata = meta
    return out


def mixed_source():
    sd = sd_of(MLP(hidden=6))
    sd["zzz.weight"] = torch.zeros(2)
    sd["fc2.scale"] = torch.ones(1)
    sd["act.weight"] = torch.ones(1)
    del sd["fc2.bias"]
    return sd


def conv_as_linear():
    sd = sd_of(MLP())
    sd["fc1.weight"] = torch.zeros(6, 4, 1, 1)
    return sd


def scalar_source():
    sd = sd_of(Scalars())
    sd["scale"] = torch.tensor([3.0, 4.0])  # torch 0.3 era: a 1-dim tensor into a 0-dim parameter
    sd["step"] = torch.tensor([7])
    return sd


def scalar_mismatch_source():
    sd = sd_of(Scalars())
    sd["mask"] = torch.tensor(True)
    sd["fc.bias"] = torch.tensor(1.0)
    return sd


def quirky_source():
    sd = sd_of(MLP())
    sd["fc1"] = torch.zeros(1)  # names a module: torch ignores it
    sd["fc1.weight.extra"] = torch.zeros(1)  # under a parameter: torch ignores it
    sd["fc1.bias.x.y"] = torch.zeros(1)
    sd["fc9.weight"] = torch.zeros(1)
    return sd


def unexpected_order_source():
    sd = collections.OrderedDict()
    sd["b.y.extra"] = torch.zeros(1)
    sd["a.1.0.extra"] = torch.zeros(1)
    sd["root_extra"] = torch.zeros(1)
    sd["a.extra"] = torch.zeros(1)
    sd["b.extra"] = torch.zeros(1)
    sd["a.1.extra"] = torch.zeros(1)
    sd["a.0.weight"] = torch.zeros(2, 2)
    sd["a.1.1.num_batches_tracked"] = torch.tensor(5)
    sd["counter2"] = torch.zeros(1)
    return sd


def extra_state_source():
    sd = sd_of(MLP())
    sd["_extra_state"] = torch.zeros(1)
    sd["fc2.other"] = torch.zeros(1)
    sd["fc2._extra_state"] = torch.zeros(1)
    return sd


# ---------------------------------------------------------------------------------------------------
# Random cases


class RandomNet(nn.Module):
    def __init__(self, rng, depth=0):
        super().__init__()
        for i in range(rng.randint(1, 3)):
            kind = rng.choice(["linear", "bn", "embed", "norm", "relu", "child"] if depth < 2 else
                              ["linear", "bn", "norm", "relu"])
            name = rng.choice(["fc", "layer", "proj", "head", "block"]) + str(i)
            if kind == "linear":
                m = nn.Linear(rng.randint(1, 3), rng.randint(1, 3), bias=rng.random() < 0.7)
            elif kind == "bn":
                m = nn.BatchNorm1d(rng.randint(1, 3))
            elif kind == "embed":
                m = nn.Embedding(rng.randint(2, 5), 2)
            elif kind == "norm":
                m = nn.LayerNorm(rng.randint(1, 3))
            elif kind == "relu":
                m = nn.ReLU()
            else:
                m = RandomNet(rng, depth + 1)
            setattr(self, name, m)


def random_cases(outdir, seed, count):
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        torch.manual_seed(seed * 100003 + i)
        net_seed = rng.randrange(1 << 30)
        target = RandomNet(random.Random(net_seed))
        if not target.state_dict():
            target.fc_extra = nn.Linear(1, 1)
        sd = copy.deepcopy(target.state_dict())
        meta = copy.deepcopy(sd._metadata)
        items = list(sd.items())
        ops = rng.randint(0, 3)
        for _ in range(ops):
            op = rng.choice(["drop", "add", "reshape", "half", "rename", "oldbn", "prefix"])
            if op == "drop" and items:
                items.pop(rng.randrange(len(items)))
            elif op == "add":
                base = rng.choice(items)[0] if items else "x"
                parts = base.split(".")
                cut = rng.randint(0, len(parts))
                items.insert(rng.randint(0, len(items)),
                             (".".join(parts[:cut] + [rng.choice(["extra", "w", "fc9"])]), torch.zeros(1)))
            elif op == "reshape" and items:
                j = rng.randrange(len(items))
                k, v = items[j]
                items[j] = (k, torch.zeros(tuple(v.shape) + (1,)) if rng.random() < 0.5 else torch.zeros(2))
            elif op == "half" and items:
                items = [(k, v.half() if v.is_floating_point() else v) for k, v in items]
            elif op == "rename" and items:
                j = rng.randrange(len(items))
                items[j] = ("renamed." + items[j][0], items[j][1])
            elif op == "oldbn":
                items = [(k, v) for k, v in items if not k.endswith("num_batches_tracked")]
                for m in list(meta):
                    if m and rng.random() < 0.5:
                        meta[m] = {"version": 1}
            elif op == "prefix":
                items = [("module." + k, v) for k, v in items]
                meta = collections.OrderedDict(("module." + m if m else "module", v) for m, v in meta.items())
        source = collections.OrderedDict(items)
        if rng.random() < 0.8:
            source._metadata = meta
        cases.append(run_case(outdir, "random_%d_%d" % (seed, i), source, target, rng.random() < 0.6))
    return cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--random", type=int, default=None, help="seed for random cases (instead of fixed ones)")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    cases = fixed_cases(args.outdir) if args.random is None else random_cases(args.outdir, args.random, args.count)
    with open(os.path.join(args.outdir, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    print("%d cases written to %s" % (len(cases), args.outdir), file=sys.stderr)


if __name__ == "__main__":
    main()
