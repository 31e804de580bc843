"""Checks TorchScript archives rewritten by Graft's TorchScriptRewriter against torch.

Usage: /usr/bin/python3 check_torchscript.py SPEC.json

SPEC.json holds {"files": [...]}; each file is {"path" (the rewritten archive), "original" (the
archive it was made from), "tensors": [{"key", "sha256"}] (sha256 over the contiguous
little-endian bytes torch should now hold), "input": {"dtype": "float32" | "int64", "shape",
"high" (int64 only: values lie in [0, high))}}. Every record's CRC-32 is checked with zipfile;
the rewritten archive is loaded with torch.jit.load, its state_dict compared with the expected
digests, and it is run forward on the input alongside the original archive given the same
state_dict with load_state_dict: both must give the same output. Prints OK and exits 0, or prints
what differs and exits 1.
"""
import hashlib
import json
import sys
import zipfile

import torch

errors = []


def digest(t):
    flat = t.detach().contiguous().flatten()
    return hashlib.sha256(flat.view(torch.uint8).numpy().tobytes()).hexdigest()


def check(f):
    where = f["path"]
    with zipfile.ZipFile(f["path"]) as z:
        bad = z.testzip()
        if bad is not None:
            errors.append(f"{where}: record {bad} fails its CRC-32")
    m = torch.jit.load(f["path"])
    # Digests before forward: a training-mode BatchNorm updates its running stats in forward.
    sd = {k: v.detach().clone() for k, v in m.state_dict().items()}
    keys = list(sd.keys())
    want = [t["key"] for t in f["tensors"]]
    if keys != want:
        errors.append(f"{where}: keys {keys} != expected {want}")
        return
    for t in f["tensors"]:
        d = digest(sd[t["key"]])
        if d != t["sha256"]:
            errors.append(f"{where}: {t['key']}: bytes differ (sha256 {d})")
    spec = f["input"]
    torch.manual_seed(0)
    if spec["dtype"] == "int64":
        x = torch.randint(0, spec["high"], spec["shape"], dtype=torch.int64)
    else:
        x = torch.randn(spec["shape"], dtype=getattr(torch, spec["dtype"]))
    reference = torch.jit.load(f["original"])
    reference.load_state_dict(sd)
    with torch.no_grad():
        got = m(x)
        expected = reference(x)
    if not torch.equal(got, expected):
        errors.append(f"{where}: forward gives {got}, the original with the new state_dict {expected}")


def main():
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    for f in spec["files"]:
        try:
            check(f)
        except Exception as e:  # noqa: BLE001 - report every file's failure, not just the first
            errors.append(f"{f['path']}: {type(e).__name__}: {e}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
