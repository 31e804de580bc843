"""Writes src/test/resources/format/torch_state_dict_golden.pkl.gz: the data.pkl torch.save writes
for the layout TorchStateDictWriterTests.goldenLayout() builds, so the test can compare
TorchStateDictWriter's pickle with torch's byte for byte without torch.

Run with Debian's Python and torch 1.13: /usr/bin/python3 scripts/make_writer_golden.py
"""
import collections
import gzip
import os
import tempfile
import zipfile

import torch

DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32,
          torch.int16, torch.int8, torch.uint8, torch.bool, torch.complex64, torch.complex128]
SHAPES = [[], [0], [2, 3], [1, 0, 5], [2, 2, 2, 2]]
SPECIAL = {7: [70000], 8: [300], 9: [3, 100000]}

sd = collections.OrderedDict()
for i in range(1001):  # past one SETITEMS batch of 1000, the last item alone in a SETITEM
    shape = SPECIAL.get(i, SHAPES[i % len(SHAPES)])
    sd[f"layer.{i}.weight"] = torch.zeros(shape, dtype=DTYPES[i % len(DTYPES)])
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "archive.pt")
    torch.save(sd, path)
    pkl = zipfile.ZipFile(path).read("archive/data.pkl")
out = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "format",
                   "torch_state_dict_golden.pkl.gz")
with gzip.GzipFile(out, "wb", mtime=0) as fh:
    fh.write(pkl)
print(torch.__version__, len(pkl), "bytes")
