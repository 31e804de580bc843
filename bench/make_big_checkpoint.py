"""Writes a torch.save checkpoint of about SIZE_MB megabytes of float32 tensors (a stack of
transformer-like blocks), for the upload and warm-start benchmarks.

Run with Debian's Python and its python3-torch:  /usr/bin/python3 bench/make_big_checkpoint.py OUT SIZE_MB
"""
import collections
import sys

import torch


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    hidden = 1024
    per_block = (4 * hidden * hidden + 2 * hidden * 4 * hidden) * 4  # bytes of one block's weights
    blocks = max(1, size_mb * 1024 * 1024 // per_block)
    sd = collections.OrderedDict()
    sd["embed.weight"] = torch.randn(8192, hidden)
    for b in range(blocks):
        p = f"blocks.{b}."
        for name in ("q", "k", "v", "o"):
            sd[p + f"attn.{name}.weight"] = torch.randn(hidden, hidden)
            sd[p + f"attn.{name}.bias"] = torch.zeros(hidden)
        sd[p + "mlp.fc1.weight"] = torch.randn(4 * hidden, hidden)
        sd[p + "mlp.fc1.bias"] = torch.zeros(4 * hidden)
        sd[p + "mlp.fc2.weight"] = torch.randn(hidden, 4 * hidden)
        sd[p + "mlp.fc2.bias"] = torch.zeros(hidden)
        sd[p + "ln.weight"] = torch.ones(hidden)
        sd[p + "ln.bias"] = torch.zeros(hidden)
    torch.save(sd, out)


if __name__ == "__main__":
    main()
