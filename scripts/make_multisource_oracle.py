#!/usr/bin/python3
"""Builds the multi-source warm-start oracle: several checkpoints loaded into one model, by torch 1.13.

Usage (torch must be importable; on the dev machines that is /usr/bin/python3):

    /usr/bin/python3 scripts/make_multisource_oracle.py src/test/resources/fixtures/multisource

Graft's contract for `sources`: each source's keys are rewritten by its key rules, then filtered by
its include/exclude globs; a target key is taken from the first source that offers it. Here that is
done in Python the way the contract says, and torch decides the rest:

- the expected outcome, missing/unexpected keys and error text are those of
  `target.load_state_dict(merged, strict=...)`, where `merged` holds each key of the first source
  that offers it, in source order;
- the expected values are what successive `load_state_dict(filtered_i, strict=False)` calls give
  when applied in reverse source order (so the first source is loaded last and wins); the script
  checks that both readings agree and records the SHA-256 of every resulting tensor's bytes
  (contiguous, little-endian), for a run to be compared with bit for bit.

Each case writes its checkpoints (torch zips, and one safetensors file written here by hand, since
the `safetensors` package is not installed with Debian's torch), the fresh target's
`state_dict(keep_vars=True)`, and an entry in cases.json. Tensors are small: the whole output stays
under 1 MB.
"""

import collections
import fnmatch
import hashlib
import zlib
import json
import os
import re
import struct
import sys

import torch
import torch.nn as nn

# ---------------------------------------------------------------------------------------------------
# Models


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)


class TinyResNet(nn.Module):
    """A ResNet-shaped classifier: stem, two stages of basic blocks, fc."""

    def __init__(self, c=4, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.layer1 = nn.Sequential(BasicBlock(c), BasicBlock(c))
        self.layer2 = nn.Sequential(BasicBlock(c))
        self.fc = nn.Linear(c, classes)


class ResNetEncoder(nn.Module):
    """The same trunk without its fc."""

    def __init__(self, c=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.layer1 = nn.Sequential(BasicBlock(c), BasicBlock(c))
        self.layer2 = nn.Sequential(BasicBlock(c))


class OtherClassifier(nn.Module):
    """A classifier trained elsewhere: its own backbone, and a head we want."""

    def __init__(self, c=4, classes=5):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
        self.classifier = nn.Linear(c, classes)


class EncoderWithHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ResNetEncoder()
        self.head = nn.Linear(4, 5)


class VisionTower(nn.Module):
    def __init__(self, d=8, layers=2):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, d, 4, 4)
        self.pos_embed = nn.Parameter(torch.randn(1, 5, d))
        self.blocks = nn.ModuleList(
            [nn.TransformerEncoderLayer(d, 2, 16, batch_first=True) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)


class TextTower(nn.Module):
    def __init__(self, vocab=20, d=8, layers=2):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d, 2, 16, batch_first=True), layers)
        self.ln_final = nn.LayerNorm(d)


class Clip(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = VisionTower()
        self.text = TextTower()
        self.logit_scale = nn.Parameter(torch.ones([]) * 2.6592)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 3)


class MlpWithExtra(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 3)
        self.extra = nn.Linear(3, 2)


# ---------------------------------------------------------------------------------------------------
# The contract, in Python


def apply_rules(key, rules):
    for r in rules:
        if r["type"] == "stripPrefix":
            if key.startswith(r["prefix"]):
                key = key[len(r["prefix"]):]
        elif r["type"] == "addPrefix":
            key = r["prefix"] + key
        elif r["type"] == "regex":
            # Java's replaceAll: $1 groups; the patterns used here are plain enough for re.
            key = re.sub(r["pattern"], r["replacement"].replace("$", "\\"), key)
    return key


def glob(pattern, key):
    # Graft's globs: * matches any run of characters, dots included; nothing else is special.
    return fnmatch.fnmatchcase(key, pattern.replace("[", "[[]").replace("?", "[?]"))


def filtered(sd, source):
    out = collections.OrderedDict()
    for k, v in sd.items():
        out[apply_rules(k, source.get("keyRules", []))] = v
    inc, exc = source.get("include", []), source.get("exclude", [])
    return collections.OrderedDict(
        (k, v) for k, v in out.items()
        if (not inc or any(glob(p, k) for p in inc)) and not any(glob(p, k) for p in exc))


def sha(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        b = t.view(torch.int16).numpy().tobytes()
    else:
        b = t.numpy().tobytes()
    return hashlib.sha256(b).hexdigest()


def save_safetensors(sd, path):
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        b = v.detach().contiguous().numpy().tobytes()
        header[k] = {"dtype": names[v.dtype], "shape": list(v.shape),
                     "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def run_case(outdir, name, target_cls, sources, options, fail_reason=None):
    torch.manual_seed(zlib.crc32(name.encode()) % 1000)
    target = target_cls()
    target_file = name + ".target.pt"
    torch.save(target.state_dict(keep_vars=True), os.path.join(outdir, target_file))

    descs, filtered_sds = [], []
    for i, (sd, fmt, spec) in enumerate(sources):
        f = "%s.source%d.%s" % (name, i, "safetensors" if fmt == "safetensors" else "pt")
        if fmt == "safetensors":
            save_safetensors(sd, os.path.join(outdir, f))
        else:
            torch.save(sd, os.path.join(outdir, f))
        d = dict(spec)
        d["file"] = f
        descs.append(d)
        filtered_sds.append(filtered(sd, spec))

    case = {"name": name, "targetFile": target_file, "targetName": type(target).__name__,
            "sources": descs, "options": options}
    if fail_reason:
        case["expected"] = {"refused": fail_reason}
        return case

    strict = options.get("strict", True)
    merged = collections.OrderedDict()
    for sd in filtered_sds:
        for k, v in sd.items():
            merged.setdefault(k, v)

    probe = target_cls()
    probe.load_state_dict(target.state_dict())
    error = None
    try:
        result = probe.load_state_dict(merged, strict=strict)
        missing, unexpected = list(result.missing_keys), list(result.unexpected_keys)
    except RuntimeError as e:
        error = str(e)
        lenient = target_cls()
        r = lenient.load_state_dict(merged, strict=False)
        missing, unexpected = list(r.missing_keys), list(r.unexpected_keys)

    expected = {"outcome": "FAILED" if error else "OK", "missingKeys": missing,
                "unexpectedKeys": unexpected, "error": error}
    # Which source each target key comes from.
    origin = {}
    for k in target.state_dict().keys():
        for i, sd in enumerate(filtered_sds):
            if k in sd:
                origin[k] = i
                break
    expected["sourceIndex"] = origin
    if not error:
        # The values: reverse-order lenient loads, first source last.
        for sd in reversed(filtered_sds):
            target.load_state_dict(sd, strict=False)
        for k, v in target.state_dict().items():
            assert torch.equal(v, probe.state_dict()[k]), "readings disagree on " + k
        expected["sha256"] = {k: sha(v) for k, v in target.state_dict().items()}
    case["expected"] = expected
    return case


def perturbed(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
        for n, b in model.named_buffers():
            if b.dtype.is_floating_point:
                b.add_(torch.rand_like(b))
            else:
                b.fill_(seed)
    return model.state_dict()


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)  # models are built before they are perturbed: the same files every time
    cases = []

    resnet = perturbed(TinyResNet(), 1)
    other = perturbed(OtherClassifier(), 2)
    cases.append(run_case(
        outdir, "encoder_from_resnet_head_from_classifier", EncoderWithHead,
        [(resnet, "pytorch", {"keyRules": [{"type": "addPrefix", "prefix": "encoder."}],
                              "include": ["encoder.*"], "exclude": ["encoder.fc.*"]}),
         (other, "pytorch", {"keyRules": [{"type": "regex", "pattern": "^classifier\\.",
                                           "replacement": "head."}],
                             "include": ["head.*"]})],
        {"strict": True}))

    vision = perturbed(VisionTower(), 3)
    vision_lightning = collections.OrderedDict(("model." + k, v) for k, v in vision.items())
    text = perturbed(TextTower(), 4)
    text_half = collections.OrderedDict(
        (k, v.half() if v.dtype == torch.float32 else v) for k, v in text.items())
    cases.append(run_case(
        outdir, "clip_towers_from_two_files", Clip,
        [(vision_lightning, "safetensors",
          {"keyRules": [{"type": "stripPrefix", "prefix": "model."},
                        {"type": "addPrefix", "prefix": "visual."}]}),
         (text_half, "pytorch", {"keyRules": [{"type": "addPrefix", "prefix": "text."}]})],
        {"strict": False}))

    first = perturbed(Mlp(), 5)
    second = perturbed(MlpWithExtra(), 6)
    cases.append(run_case(
        outdir, "overlapping_sources_first_wins", MlpWithExtra,
        [(first, "pytorch", {}), (second, "pytorch", {})], {"strict": True}))
    cases.append(run_case(
        outdir, "overlapping_sources_first_filtered", MlpWithExtra,
        [(first, "pytorch", {"include": ["fc1.*"]}), (second, "safetensors", {})],
        {"strict": True}))

    stray_a = collections.OrderedDict(first)
    stray_a["stray_a"] = torch.zeros(2)
    stray_b = collections.OrderedDict(second)
    stray_b["fc1.stray_b"] = torch.zeros(2)
    cases.append(run_case(
        outdir, "strict_unexpected_from_both_sources", MlpWithExtra,
        [(stray_a, "pytorch", {}), (stray_b, "pytorch", {"exclude": ["fc2.*"]})],
        {"strict": True}))

    cases.append(run_case(
        outdir, "source_filter_leaves_nothing", Mlp,
        [(first, "pytorch", {}), (second, "pytorch", {"include": ["decoder.*"]})],
        {"strict": False}, fail_reason="sources[1]"))

    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
