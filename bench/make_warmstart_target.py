"""Writes the warm-start benchmark's target: the model of bench/make_big_checkpoint.py (same SIZE_MB)
grown by two extra blocks and a low-rank adapter, as a fresh model's state_dict(keep_vars=True).

    /usr/bin/python3 bench/make_warmstart_target.py OUT SIZE_MB
"""
import collections
import sys

import torch


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(1)
    hidden = 1024
    per_block = (4 * hidden * hidden + 2 * hidden * 4 * hidden) * 4
    blocks = max(1, size_mb * 1024 * 1024 // per_block) + 2
    p = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * 0.02)
    sd = collections.OrderedDict()
    sd["embed.weight"] = p(8192, hidden)
    for b in range(blocks):
        q = f"blocks.{b}."
        for name in ("q", "k", "v", "o"):
            sd[q + f"attn.{name}.weight"] = p(hidden, hidden)
            sd[q + f"attn.{name}.bias"] = torch.nn.Parameter(torch.zeros(hidden))
        sd[q + "mlp.fc1.weight"] = p(4 * hidden, hidden)
        sd[q + "mlp.fc1.bias"] = torch.nn.Parameter(torch.zeros(4 * hidden))
        sd[q + "mlp.fc2.weight"] = p(hidden, 4 * hidden)
        sd[q + "mlp.fc2.bias"] = torch.nn.Parameter(torch.zeros(hidden))
        sd[q + "ln.weight"] = torch.nn.Parameter(torch.ones(hidden))
        sd[q + "ln.bias"] = torch.nn.Parameter(torch.zeros(hidden))
    sd["adapter.down.weight"] = p(64, hidden)
    sd["adapter.up.weight"] = torch.nn.Parameter(torch.zeros(hidden, 64))
    torch.save(sd, out)


if __name__ == "__main__":
    main()
