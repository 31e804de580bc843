#!/usr/bin/env python3
"""Writes the small real TorchScript archives TorchScriptReaderTests reads, and what to expect.

Run with Debian's python3-torch (1.13): /usr/bin/python3 scripts/make_torchscript_samples.py
Writes src/test/resources/format/torchscript/*.pt and expected.json. For each archive, "tensors"
lists the loaded ScriptModule's state_dict(keep_vars=True) in order (what the archive holds), with
"persistentInEager" saying whether the eager model's state_dict had the key: TorchScript keeps
non-persistent buffers in __buffers__ and in its state_dict, without any mark (see the reader).
Each sha256 is over the elements in row-major order, little-endian.
"""
import hashlib
import json
import os

import torch
from torch import nn

OUT = os.path.join(
    os.path.dirname(__file__), "..", "src", "test", "resources", "format", "torchscript")


def digest(t):
    flat = t.detach().contiguous().flatten()
    return hashlib.sha256(flat.view(torch.uint8).numpy().tobytes()).hexdigest()


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2, bias=False)
        self.register_buffer("persist", torch.arange(4.0))
        self.register_buffer("scratch", torch.ones(2), persistent=False)

    def forward(self, x):
        return self.lin(x) + self.scratch.sum() + self.persist.sum()


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        # A child registered before the parameter: state_dict still lists own tensors first.
        self.inner = Inner()
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.register_buffer("steps", torch.tensor(3, dtype=torch.int64))
        self.head = nn.Linear(2, 2)
        self.sizes = [1, 2]

    def forward(self, x):
        return self.head(self.inner(x)) * self.scale


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5, 3)
        self.out = nn.Linear(3, 5, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, x):
        return self.out(self.embed(x))


def main():
    torch.manual_seed(1234)
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    def save(name, eager, scripted):
        path = os.path.join(OUT, name)
        torch.jit.save(scripted, path)
        loaded = torch.jit.load(path)
        eager_keys = set(eager.state_dict().keys())
        params = set()
        for prefix, mod in loaded.named_modules():
            for n in mod._parameters.keys():
                params.add(prefix + "." + n if prefix else n)
        tensors = []
        for k, v in loaded.state_dict(keep_vars=True).items():
            tensors.append({
                "key": k,
                "dtype": str(v.dtype).replace("torch.", ""),
                "shape": list(v.shape),
                "kind": "PARAMETER" if k in params else "BUFFER",
                "requiresGrad": v.requires_grad,
                "persistentInEager": k in eager_keys,
                "sha256": digest(v),
            })
        # The archive must agree with the eager model wherever the eager model has the key.
        eager_sd = eager.state_dict(keep_vars=True)
        assert [t["key"] for t in tensors if t["persistentInEager"]] == list(eager_sd.keys())
        for t in tensors:
            if t["persistentInEager"]:
                assert eager_sd[t["key"]].requires_grad == t["requiresGrad"]
                assert digest(eager_sd[t["key"]]) == t["sha256"]
        expected[name] = {"tensors": tensors}

    lin = nn.Linear(3, 2)
    save("linear.pt", lin, torch.jit.script(lin))

    seq = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    seq[0].bias.requires_grad_(False)  # a frozen parameter keeps requires_grad=False
    save("sequential.pt", seq, torch.jit.script(seq))

    outer = Outer()
    save("nested.pt", outer, torch.jit.script(outer))

    nobias = nn.Linear(3, 2, bias=False)
    save("no_bias.pt", nobias, torch.jit.script(nobias))

    traced_model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1)).eval()
    save("traced.pt", traced_model, torch.jit.trace(traced_model, torch.randn(2, 4)))

    tied = Tied()
    save("tied.pt", tied, torch.jit.script(tied))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
