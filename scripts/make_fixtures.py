#!/usr/bin/python3
"""Writes real torch and safetensors checkpoints plus OUTDIR/expected.json for TorchConformanceTests.

Usage (Debian's python3 with torch 1.13; the python3 first on PATH has no torch):

    /usr/bin/python3 scripts/make_fixtures.py OUTDIR                      # the committed set
    /usr/bin/python3 scripts/make_fixtures.py OUTDIR --random SEED --count N   # plus N random ones

The committed set lives in src/test/resources/fixtures/conformance/. CI runs the random form into a
fresh folder and points GRAFT_FIXTURES_DIR at it.

expected.json is {"generator", "torchVersion", "files": [entry...]}; each entry has
  file, format ("pytorch" | "safetensors"), stateDictPath ("", "model_state_dict", "state_dict"),
  metadata       plain data the reader must report beside the state dict (a subset: the reader may
                 report more, e.g. an optimizer's plain fields), string->string for safetensors,
  moduleVersions the state dict's _metadata as prefix -> version ({} when it has none),
  byteOrder      "little" or "big" (how the elements are stored),
  tensors        in state-dict order: key, dtype (torch name without "torch."), shape, numel,
                 requiresGrad (true/false for Parameters of a keep_vars state dict, else null),
                 sha256 of the contiguous row-major little-endian element bytes (bool: 1 byte per
                 element; bfloat16 as int16; complex as view_as_real).

Safetensors files are written by hand here (8-byte LE header length, JSON header, data) because
Debian bookworm ships no python3-safetensors; the layout follows the reference implementation's
save_file: tensors sorted by descending alignment then name, header padded with spaces to a multiple
of 8, header keys in data order.

Not covered: float8 and uint16/32/64 (torch 1.13 has none of these dtypes) and complex32 (Graft's
DType has no such type).
"""

import argparse
import collections
import hashlib
import io
import json
import os
import pickle
import random
import struct
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tinyzip  # noqa: E402

DTYPES = [
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32,
    torch.int16, torch.int8, torch.uint8, torch.bool, torch.complex64, torch.complex128,
]

# Said in expected.json so that a reader of the fixtures knows what is missing and why.
NOT_COVERED = [
    "float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz: torch 1.13 has no float8 dtypes",
    "uint16, uint32, uint64: torch 1.13 cannot create them",
    "complex32 (chalf): Graft's DType has no such type",
    "safetensors files are written by hand (Debian bookworm has no python3-safetensors); C128"
    " has no safetensors code, so complex128 appears in torch files only",
]

ST_CODES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL", torch.complex64: "C64",
}


def dtype_name(dt):
    return str(dt)[len("torch."):]


def le_bytes(t):
    """Row-major little-endian element bytes of t, as the Java side's TensorData.readContiguous."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    elif t.is_complex():
        t = torch.view_as_real(t).contiguous()
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def rand_tensor(dtype, shape, gen=None):
    if dtype.is_complex:
        return torch.randn(tuple(shape), dtype=dtype, generator=gen)
    if dtype.is_floating_point:
        return torch.randn(tuple(shape), generator=gen).to(dtype)
    if dtype == torch.bool:
        return torch.randint(0, 2, tuple(shape), generator=gen).bool()
    lo, hi = (0, 256) if dtype == torch.uint8 else (-100, 100)
    return torch.randint(lo, hi, tuple(shape), generator=gen).to(dtype)


def describe(sd, keep_vars=False):
    out = []
    for k, v in sd.items():
        req = None
        if keep_vars and isinstance(v, nn.Parameter):
            req = bool(v.requires_grad)
        out.append({
            "key": k,
            "dtype": dtype_name(v.dtype),
            "shape": list(v.shape),
            "numel": v.numel(),
            "requiresGrad": req,
            "sha256": hashlib.sha256(le_bytes(v)).hexdigest(),
        })
    return out


def module_versions(sd):
    meta = getattr(sd, "_metadata", None)
    if not meta:
        return {}
    return {p: v["version"] for p, v in meta.items() if v.get("version") is not None}


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.entries = []

    def torch_file(self, name, obj, sd, path="", metadata=None, keep_vars=False, byte_order="little"):
        full = os.path.join(self.outdir, name)
        torch.save(obj, full)
        if byte_order == "big":
            to_big_endian(full)
        self.entries.append({
            "file": name,
            "format": "pytorch",
            "stateDictPath": path,
            "metadata": metadata or {},
            "moduleVersions": module_versions(sd),
            "byteOrder": byte_order,
            "tensors": describe(sd, keep_vars),
        })

    def safetensors_file(self, name, tensors, metadata=None, low_byte=None):
        order = write_safetensors(os.path.join(self.outdir, name), tensors, metadata, low_byte)
        self.entries.append({
            "file": name,
            "format": "safetensors",
            "stateDictPath": "",
            "metadata": metadata or {},
            "moduleVersions": {},
            "byteOrder": "little",
            "tensors": describe(collections.OrderedDict((k, tensors[k]) for k in order)),
        })

    def finish(self, extra=None):
        doc = {
            "generator": "scripts/make_fixtures.py",
            "torchVersion": torch.__version__,
            "notCovered": NOT_COVERED,
            "files": self.entries,
        }
        if extra:
            doc.update(extra)
        with open(os.path.join(self.outdir, "expected.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


def write_safetensors(path, tensors, metadata=None, low_byte=None):
    """Writes a safetensors file by hand; returns the keys in data order.

    low_byte: pad the header with more spaces until its length's lowest byte is this value (0x80
    makes the file start with the byte a pickle starts with)."""
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = bytearray()
    for k in order:
        b = le_bytes(tensors[k])
        header[k] = {
            "dtype": ST_CODES[tensors[k].dtype],
            "shape": list(tensors[k].shape),
            "data_offsets": [len(data), len(data) + len(b)],
        }
        data += b
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    while low_byte is not None and len(h) % 256 != low_byte:
        h += b" " * 8
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + bytes(data))
    return order


def storage_itemsizes(pkl):
    """Maps each storage record key in a torch data.pkl to its element size, without running it."""
    sizes = {}

    class Probe(pickle.Unpickler):
        def persistent_load(self, pid):
            _, storage_type, key, _, numel = pid
            dtype = storage_type(0).dtype
            sizes[key] = (torch.empty((), dtype=dtype).element_size(), dtype.is_complex)
            return torch.storage.TypedStorage(numel, dtype=dtype)

    Probe(io.BytesIO(pkl)).load()
    return sizes


def to_big_endian(path):
    """Rewrites a torch 1.13 zip as the big-endian file a big-endian host would write.

    torch 1.13 always writes native (little-endian) storages and no byteorder record; torch 2.x
    writes an `<archive>/byteorder` record ("little" or "big") and byte-swaps storages on load when
    it differs from the host. So this adds `<archive>/byteorder` = "big" right after data.pkl and
    byte-swaps every element of every `<archive>/data/<key>` record (complex: each real and imaginary
    part separately). torch 1.13 itself cannot load the result correctly; torch >= 2.1 can.
    """
    with open(path, "rb") as f:
        entries = tinyzip.read_stored_zip(f.read())
    archive = entries[0][0].split("/")[0]
    pkl = dict(entries)[archive + "/data.pkl"]
    sizes = storage_itemsizes(pkl)
    out = []
    for name, data in entries:
        prefix = archive + "/data/"
        if name.startswith(prefix):
            key = name[len(prefix):]
            item, is_complex = sizes[key]
            # complex64/128: swap the float32/float64 halves separately.
            data = swap_bytes(data, item // 2 if is_complex else item)
        out.append({"name": name, "data": data})
        if name == archive + "/data.pkl":
            out.append({"name": archive + "/byteorder", "data": b"big"})
    with open(path, "wb") as f:
        f.write(tinyzip.build_zip(out))


def swap_bytes(data, item):
    if item == 1:
        return data
    return b"".join(data[i:i + item][::-1] for i in range(0, len(data), item))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (self.downsample(x) if self.downsample is not None else x))


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.layer1 = nn.Sequential(BasicBlock(4, 4), BasicBlock(4, 6))
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = self.layer1(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(x.mean(dim=(2, 3)))


def trained(model, x):
    """One real training step, so running stats and num_batches_tracked are not defaults."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = model(x).float().pow(2).mean()
    loss.backward()
    opt.step()
    return model, opt


def write_default(w):
    torch.manual_seed(0)
    # Plain state_dict() of small real modules.
    lin = nn.Linear(4, 3)
    w.torch_file("linear.pt", lin.state_dict(), lin.state_dict())
    conv = nn.Conv2d(2, 3, 3)
    w.torch_file("conv2d.pt", conv.state_dict(), conv.state_dict())
    bn, _ = trained(nn.BatchNorm2d(3), torch.randn(4, 3, 2, 2))
    w.torch_file("batchnorm2d.pt", bn.state_dict(), bn.state_dict())
    emb = nn.Embedding(10, 4)
    w.torch_file("embedding.pt", emb.state_dict(), emb.state_dict())
    ln = nn.LayerNorm(6)
    w.torch_file("layernorm.pt", ln.state_dict(), ln.state_dict())
    res, opt = trained(TinyResNet(), torch.randn(2, 3, 4, 4))
    sd = res.state_dict()
    w.torch_file("resnet_block.pt", sd, sd)

    # Every dtype torch 1.13 saves (no float8, no uint16/32/64 in 1.13).
    sd = collections.OrderedDict()
    for dt in DTYPES:
        sd["t_" + dtype_name(dt)] = rand_tensor(dt, (2, 3))
    w.torch_file("dtypes.pt", sd, sd)

    # Tied weights: two keys, one tensor.
    shared = torch.randn(5, 4)
    sd = collections.OrderedDict([("encoder.embed.weight", shared), ("decoder.proj.weight", shared),
                                  ("decoder.proj.bias", torch.randn(5))])
    w.torch_file("tied.pt", sd, sd)

    # Views sharing one storage with offsets and strides.
    base = torch.arange(48, dtype=torch.float32)
    sd = collections.OrderedDict([
        ("base", base),
        ("offset_slice", base[5:15]),
        ("strided", base[1::3]),
        ("matrix_cols", base[4:40].view(6, 6)[:, 1::2]),
        ("as_strided", base.as_strided((3, 4), (2, 5), 7)),
        ("scalar_view", base[17]),
    ])
    w.torch_file("shared_views.pt", sd, sd)

    # Non-contiguous tensors with their own storages.
    m = torch.randn(4, 6, dtype=torch.float64)
    sd = collections.OrderedDict([
        ("transposed", torch.randn(3, 5).t()),
        ("permuted", torch.randn(2, 3, 4).permute(2, 0, 1)),
        ("sliced_rows", m[1:3]),
        ("sliced_cols", torch.randint(0, 100, (4, 6))[:, 2:5]),
        ("expanded", torch.randn(3, 1).expand(3, 4)),
    ])
    w.torch_file("noncontiguous.pt", sd, sd)

    # 0-dim tensors.
    sd = collections.OrderedDict([
        ("f32", torch.tensor(3.5)), ("i64", torch.tensor(7)), ("flag", torch.tensor(True)),
        ("bf16", torch.tensor(-1.25, dtype=torch.bfloat16)),
        ("c128", torch.tensor(1 - 2j, dtype=torch.complex128)),
    ])
    w.torch_file("zero_dim.pt", sd, sd)

    # Empty tensors.
    sd = collections.OrderedDict([
        ("empty1d", torch.empty(0)), ("zero_middle", torch.zeros(3, 0, 2, dtype=torch.int32)),
        ("zero_last", torch.ones(2, 0, dtype=torch.float16)), ("after", torch.arange(3)),
        # Slicing an empty tensor leaves a storage offset past its (empty) storage; torch loads it.
        ("sliced_empty", torch.zeros(3, 0)[1:]),
        ("sliced_empty_4d", torch.zeros(3, 4, 0, 2, dtype=torch.uint8)[1:]),
    ])
    w.torch_file("empty.pt", sd, sd)

    # Big-endian storages (see to_big_endian).
    sd = collections.OrderedDict()
    for dt in DTYPES:
        sd["be_" + dtype_name(dt)] = rand_tensor(dt, (3,))
    sd["be_view"] = sd["be_float32"][1:]
    sd["be_scalar"] = torch.tensor(258, dtype=torch.int16)
    w.torch_file("big_endian.pt", sd, sd, byte_order="big")

    # Nested training checkpoint after one real optimizer step.
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    model, opt = trained(model, torch.randn(5, 4))
    sd = model.state_dict()
    w.torch_file("nested_optimizer.pt",
                 {"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict()},
                 sd, path="model_state_dict", metadata={"epoch": 3})

    # Lightning-style checkpoint.
    model = nn.Sequential(nn.Linear(3, 3), nn.LayerNorm(3))
    sd = collections.OrderedDict(("model." + k, v) for k, v in model.state_dict().items())
    sd._metadata = collections.OrderedDict(
        ("model" + ("." + k if k else ""), v) for k, v in model.state_dict()._metadata.items())
    sd._metadata[""] = {"version": 1}
    sd._metadata.move_to_end("", last=False)
    hp = {"lr": 0.001, "hidden": 3, "name": "tiny", "betas": [0.9, 0.999], "use_norm": True}
    meta = {"hyper_parameters": hp, "global_step": 7, "epoch": 1, "pytorch-lightning_version": "1.9.0"}
    w.torch_file("lightning.ckpt", dict(state_dict=sd, **meta), sd, path="state_dict", metadata=meta)

    # keep_vars=True: Parameters with requires_grad, one frozen; buffers stay plain tensors.
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model[0].bias.requires_grad_(False)
    sd = model.state_dict(keep_vars=True)
    w.torch_file("keep_vars.pt", sd, sd, keep_vars=True)

    # DataParallel-style "module." prefix (DataParallel works without GPUs: it just wraps).
    dp = nn.DataParallel(nn.Sequential(nn.Conv2d(1, 2, 2), nn.BatchNorm2d(2)))
    sd = dp.state_dict()
    w.torch_file("dataparallel.pt", sd, sd)

    # Safetensors.
    st = collections.OrderedDict()
    for dt in ST_CODES:
        st["w." + dtype_name(dt)] = rand_tensor(dt, (2, 3))
    w.safetensors_file("st_dtypes.safetensors", st)
    st = collections.OrderedDict([
        ("model.scale", torch.tensor(0.5)), ("model.empty", torch.zeros(4, 0)),
        ("model.embed.weight", torch.randn(6, 3, dtype=torch.bfloat16)),
        ("model.mask", torch.tensor([True, False, True])), ("model.ids", torch.arange(5)),
    ])
    w.safetensors_file("st_small.safetensors", st, metadata={"format": "pt", "note": "graft fixture"})
    w.safetensors_file("st_no_tensors.safetensors", {}, metadata={"format": "pt"})
    # Header length 0x...80: the first byte equals the pickle PROTO opcode; still safetensors.
    w.safetensors_file("st_header_len_0x80.safetensors",
                       collections.OrderedDict([("x", torch.arange(4, dtype=torch.int32))]),
                       low_byte=0x80)


def write_random(w, seed, count):
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    words = ["enc", "dec", "layer", "attn", "mlp", "norm", "proj", "q", "k", "v", "head", "block"]
    for i in range(count):
        sd = collections.OrderedDict()
        n = rng.randint(1, 12)
        storages = []
        while len(sd) < n:
            key = ".".join(rng.choice(words) + (str(rng.randint(0, 3)) if rng.random() < 0.3 else "")
                           for _ in range(rng.randint(1, 4))) + "." + rng.choice(["weight", "bias", "x"])
            if key in sd:
                continue
            r = rng.random()
            if storages and r < 0.15:
                sd[key] = rng.choice(storages)  # tied
                continue
            dt = rng.choice(DTYPES)
            rank = rng.choice([0, 1, 1, 2, 2, 3, 4])
            shape = [rng.choice([0, 1, 2, 3, 5]) if rng.random() < 0.15 else rng.randint(1, 5)
                     for _ in range(rank)]
            t = rand_tensor(dt, tuple(shape), gen)
            if rank >= 2 and r < 0.35:
                t = t.transpose(0, rank - 1)
            elif rank >= 1 and t.shape[0] > 1 and r < 0.5:
                t = t[1:]
            elif r < 0.6:
                big = rand_tensor(dt, (t.numel() + 7,), gen)
                t = big[3:3 + t.numel()].view(t.shape) if t.numel() else t
            storages.append(t)
            sd[key] = t
        form = rng.choice(["plain", "model_state_dict", "state_dict"])
        name = "random_%d_%03d.pt" % (seed, i)
        if form == "plain":
            w.torch_file(name, sd, sd)
        elif form == "model_state_dict":
            meta = {"epoch": rng.randint(0, 99), "loss": round(rng.random(), 6)}
            w.torch_file(name, dict(model_state_dict=sd, **meta), sd, path="model_state_dict",
                         metadata=meta)
        else:
            meta = {"global_step": rng.randint(0, 10_000), "hyper_parameters": {"seed": seed, "i": i}}
            w.torch_file(name, dict(state_dict=sd, **meta), sd, path="state_dict", metadata=meta)
        if rng.random() < 0.3:
            st = collections.OrderedDict(
                (k, v) for k, v in sd.items() if v.dtype in ST_CODES and k not in ())
            # safetensors refuses shared storage; keep distinct tensors only.
            seen, uniq = set(), collections.OrderedDict()
            for k, v in st.items():
                if id(v) not in seen:
                    seen.add(id(v))
                    uniq[k] = v
            w.safetensors_file("random_%d_%03d.safetensors" % (seed, i), uniq,
                               metadata={"seed": str(seed)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--random", type=int, metavar="SEED")
    ap.add_argument("--count", type=int, default=10)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    w = Writer(args.outdir)
    write_default(w)
    extra = None
    if args.random is not None:
        write_random(w, args.random, args.count)
        extra = {"randomSeed": args.random}
    w.finish(extra)
    print("wrote %d files to %s" % (len(w.entries), args.outdir))


if __name__ == "__main__":
    main()
