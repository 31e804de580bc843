"""Writes a safetensors checkpoint of SIZE_MB megabytes split into TENSORS equal tensors of DTYPE
(F32 or F16), for the scale curve. The bytes are pseudo-random (a repeated 1 MiB block), which
costs Graft exactly what real weights cost: nothing it does depends on the values.

    /usr/bin/python3 bench/make_scale_checkpoint.py OUT SIZE_MB TENSORS DTYPE
"""
import json
import os
import struct
import sys


def main():
    out, size_mb, count, dtype = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    item = {"F32": 4, "F16": 2}[dtype]
    numel = max(1, size_mb * (1 << 20) // item // count)
    nbytes = numel * item
    header = {"__metadata__": {"format": "pt"}}
    for i in range(count):
        header[f"layers.{i // 8}.w{i % 8}"] = {
            "dtype": dtype, "shape": [numel], "data_offsets": [i * nbytes, (i + 1) * nbytes]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    block = os.urandom(1 << 20)
    total = nbytes * count
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        left = total
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


if __name__ == "__main__":
    main()
