#!/usr/bin/env python3
"""Writes the small real torch.save files TorchCheckpointReaderTests reads, and what to expect.

Run with Debian's python3-torch (1.13): /usr/bin/python3 scripts/make_torch_reader_samples.py
Writes src/test/resources/format/torch/*.pt and expected.json, where each tensor's sha256 is taken
over its elements in row-major order, little-endian, so TensorData.readContiguous can be checked.
"""
import collections
import hashlib
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "format", "torch")


def digest(t):
    flat = t.detach().contiguous().flatten()
    return hashlib.sha256(flat.view(torch.uint8).numpy().tobytes()).hexdigest()


def describe(sd):
    out = []
    for k, v in sd.items():
        out.append({
            "key": k,
            "dtype": str(v.dtype).replace("torch.", ""),
            "shape": list(v.shape),
            "stride": list(v.stride()),
            "storageOffset": v.storage_offset(),
            "parameter": isinstance(v, torch.nn.Parameter),
            "requiresGrad": v.requires_grad if isinstance(v, torch.nn.Parameter) else None,
            "sha256": digest(v),
        })
    return out


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc = torch.nn.Linear(4, 3)


def main():
    torch.manual_seed(1234)
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    def save(name, obj, sd, path="", metadata=None, versions=None):
        torch.save(obj, os.path.join(OUT, name))
        expected[name] = {
            "stateDictPath": path,
            "tensors": describe(sd),
            "metadata": metadata or {},
            "moduleVersions": versions or {},
        }

    dtypes = collections.OrderedDict()
    dtypes["f32"] = torch.randn(2, 3)
    dtypes["f64"] = torch.randn(3, dtype=torch.float64)
    dtypes["f16"] = torch.randn(2, 2).half()
    dtypes["bf16"] = torch.randn(5).bfloat16()
    dtypes["i64"] = torch.arange(-3, 3, dtype=torch.int64)
    dtypes["i32"] = torch.arange(4, dtype=torch.int32).reshape(2, 2)
    dtypes["i16"] = torch.tensor([-2, 7], dtype=torch.int16)
    dtypes["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    dtypes["u8"] = torch.tensor([0, 255, 3], dtype=torch.uint8)
    dtypes["b"] = torch.tensor([True, False, True])
    dtypes["c64"] = torch.randn(2, dtype=torch.complex64)
    dtypes["scalar"] = torch.tensor(3.5)
    dtypes["empty"] = torch.zeros(0, 4)
    save("dtypes.pt", dtypes, dtypes)

    net = Net()
    net.fc.weight.requires_grad_(False)
    sd = net.state_dict()
    versions = {k: v["version"] for k, v in sd._metadata.items() if "version" in v}
    save("batchnorm.pt", sd, sd, versions=versions)

    kv = net.state_dict(keep_vars=True)
    save("keep_vars.pt", kv, kv, versions=versions)

    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    for p in net.parameters():
        if p.requires_grad:
            p.grad = torch.ones_like(p)
    opt.step()
    nested = {"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict()}
    save("nested.pt", nested, sd, path="model_state_dict", metadata={"epoch": 3}, versions=versions)

    lightning = {
        "epoch": 1,
        "global_step": 7,
        "pytorch-lightning_version": "1.9.0",
        "state_dict": sd,
        "hyper_parameters": {"lr": 0.01, "layers": [2, 3], "name": "tiny", "dropout": None},
        "optimizer_states": [opt.state_dict()],
    }
    save(
        "lightning.pt", lightning, sd, path="state_dict",
        metadata={"epoch": 1, "global_step": 7, "pytorch-lightning_version": "1.9.0",
                  "hyper_parameters": {"lr": 0.01, "layers": [2, 3], "name": "tiny", "dropout": None}},
        versions=versions)

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict()
    views["base"] = base
    views["tied"] = base
    views["transposed"] = base.t()
    views["slice"] = base[1:3, ::2]
    views["row"] = base[2]
    save("views.pt", views, views)

    # Files the reader must refuse with guidance rather than read.
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), os.path.join(OUT, "torchscript.pt"))
    torch.save({"w": torch.ones(2)}, os.path.join(OUT, "legacy.pt"),
               _use_new_zipfile_serialization=False)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
