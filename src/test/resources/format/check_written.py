"""Checks files written by Graft's SafetensorsWriter and TorchStateDictWriter against torch.

Usage: /usr/bin/python3 check_written.py EXPECTATIONS.json

EXPECTATIONS.json holds {"files": [...], "linear": {...} (optional)}. Each file is
{"path", "format": "pt" | "safetensors", "metadata": {...}, "tensors": [{"key", "dtype",
"shape", "sha256"}]}, with sha256 over the tensor's contiguous little-endian bytes. A .pt file
is read with torch.load(weights_only=True); its data.pkl is compared with the one torch.save
writes for the loaded dict. A safetensors file is parsed by hand (Debian has no safetensors
package) and its tensors built with torch.frombuffer. "linear" names a .pt holding the state
dict of nn.Linear(3, 2) with the given weight and bias, loaded with strict=True and run.
Prints OK and exits 0, or prints what differs and exits 1.
"""
import collections
import hashlib
import json
import os
import struct
import sys
import tempfile
import zipfile

import torch

SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool, "C64": torch.complex64, "C128": torch.complex128,
}

errors = []


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; same item size, same bytes
    return t.numpy().tobytes()


def compare(where, sd, expected):
    keys = list(sd.keys())
    want = [e["key"] for e in expected]
    if keys != want:
        errors.append(f"{where}: keys {keys[:10]} != expected {want[:10]}")
        return
    for e in expected:
        t = sd[e["key"]]
        if str(t.dtype) != "torch." + e["dtype"]:
            errors.append(f"{where}: {e['key']}: dtype {t.dtype} != {e['dtype']}")
        if list(t.shape) != e["shape"]:
            errors.append(f"{where}: {e['key']}: shape {list(t.shape)} != {e['shape']}")
        digest = hashlib.sha256(tensor_bytes(t)).hexdigest()
        if digest != e["sha256"]:
            errors.append(f"{where}: {e['key']}: bytes differ (sha256 {digest})")


def check_pt(f):
    sd = torch.load(f["path"], weights_only=True)
    if type(sd) is not collections.OrderedDict:
        errors.append(f"{f['path']}: loaded a {type(sd)}, not an OrderedDict")
    compare(f["path"], sd, f["tensors"])
    # torch.save names the root folder after the file, so save as archive.pt to get archive/.
    with tempfile.TemporaryDirectory() as d:
        again = os.path.join(d, "archive.pt")
        torch.save(sd, again)
        theirs = zipfile.ZipFile(again).read("archive/data.pkl")
    ours = zipfile.ZipFile(f["path"]).read("archive/data.pkl")
    if ours != theirs:
        errors.append(f"{f['path']}: data.pkl differs from what torch.save writes")


def check_safetensors(f):
    with open(f["path"], "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if n % 8 != 0:
        errors.append(f"{f['path']}: header length {n} is not a multiple of 8")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"), object_pairs_hook=collections.OrderedDict)
    data = raw[8 + n :]
    meta = header.pop("__metadata__", {})
    if meta != f.get("metadata", {}):
        errors.append(f"{f['path']}: metadata {meta} != {f.get('metadata')}")
    sd = collections.OrderedDict()
    offset = 0
    for key, entry in header.items():
        begin, end = entry["data_offsets"]
        if begin != offset:
            errors.append(f"{f['path']}: {key} begins at {begin}, expected {offset}")
        offset = end
        dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        chunk = bytearray(data[begin:end])
        t = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        sd[key] = t.reshape(entry["shape"])
    if offset != len(data):
        errors.append(f"{f['path']}: data section is {len(data)} bytes, tensors end at {offset}")
    compare(f["path"], sd, f["tensors"])


def check_linear(spec):
    model = torch.nn.Linear(3, 2)
    sd = torch.load(spec["path"], weights_only=True)
    model.load_state_dict(sd, strict=True)
    weight = torch.tensor(spec["weight"], dtype=torch.float32)
    bias = torch.tensor(spec["bias"], dtype=torch.float32)
    if not torch.equal(model.weight.data, weight) or not torch.equal(model.bias.data, bias):
        errors.append(f"linear: parameters {model.weight.data} {model.bias.data} differ")
    x = torch.tensor([[1.0, 2.0, 3.0]])
    if not torch.allclose(model(x), x @ weight.T + bias):
        errors.append("linear: forward pass differs")


def main():
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    for f in spec.get("files", []):
        try:
            (check_pt if f["format"] == "pt" else check_safetensors)(f)
        except Exception as e:  # report every file, not just the first failure
            errors.append(f"{f['path']}: {type(e).__name__}: {e}")
    if "linear" in spec:
        try:
            check_linear(spec["linear"])
        except Exception as e:
            errors.append(f"linear: {type(e).__name__}: {e}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("OK torch", torch.__version__)


if __name__ == "__main__":
    main()
