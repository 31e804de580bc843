"""Writes the preview benchmark's inputs: a checkpoint with N tensors (a third behind a DataParallel
`module.` prefix) and the target as a fresh model's state_dict(keep_vars=True) with N entries, a
seventh of them grown. Tensors are tiny: the benchmark is about the number of keys, not bytes.

    /usr/bin/python3 bench/make_preview_inputs.py OUTDIR [N]
"""
import collections
import os
import sys

import torch

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000
os.makedirs(out, exist_ok=True)
ckpt = collections.OrderedDict()
target = collections.OrderedDict()
for i in range(n):
    key = f"blocks.{i // 10}.p{i % 10}"
    ckpt[("module." if i % 3 == 0 else "") + key] = torch.zeros(4, 4, dtype=torch.float16)
    target[key] = torch.nn.Parameter(torch.zeros(4, 5 if i % 7 == 0 else 4))
torch.save(ckpt, os.path.join(out, "preview-ckpt.pt"))
torch.save(target, os.path.join(out, "preview-target.pt"))
