"""What users do today, timed: torch.load the checkpoint and the fresh model's state dict, merge as
load_state_dict(strict=False) would (matching keys of matching shape take the checkpoint's values,
cast to the target's dtype; everything else keeps its initial value), and torch.save the result.
Prints the seconds this took (after `import torch`) on the last line.

    /usr/bin/python3 bench/torch_warmstart.py CKPT TARGET OUT
"""
import sys
import time

import torch

ckpt, target, out = sys.argv[1:4]
start = time.perf_counter()
source = torch.load(ckpt)
merged = torch.load(target)
for k, v in merged.items():
    s = source.get(k)
    if s is not None and s.shape == v.shape:
        merged[k] = s.to(v.dtype)
    else:
        merged[k] = v.detach()
torch.save(merged, out)
print(f"{time.perf_counter() - start:.3f}")
