#!/usr/bin/python3
"""Builds the sharded-checkpoint fixtures: a real 12-layer nn.TransformerEncoder saved the way
Hugging Face's save_pretrained(max_shard_size=...) saves it, in both layouts.

Usage (Debian's torch; on the dev machines /usr/bin/python3):

    /usr/bin/python3 scripts/make_sharded_fixtures.py src/test/resources/fixtures/sharded

Writes, for a text encoder (an embedding, a 12-layer nn.TransformerEncoder of d_model 64, a
linear head; float16, about 0.8 MB) with weights drawn from seed 1:

- safetensors/model-0000N-of-0000M.safetensors and safetensors/model.safetensors.index.json;
- bin/pytorch_model-0000N-of-0000M.bin (torch.save) and bin/pytorch_model.bin.index.json;
- target.pt: the same architecture freshly initialised (seed 2), state_dict(keep_vars=True);
- expected.json: the keys in state-dict order, each tensor's SHA-256, and the split.

The split is transformers' (shard_checkpoint / split_torch_state_dict_into_shards): tensors in
state-dict order, a new shard when the next tensor would take the current one past
MAX_SHARD_SIZE; the index is json.dumps(index, indent=2, sort_keys=True) + "\\n". Safetensors
files are written here by hand (the safetensors package does not come with Debian's torch), as
safetensors.torch.save_file writes them with metadata {"format": "pt"}.
"""

import collections
import hashlib
import json
import os
import struct
import sys

import torch
import torch.nn as nn

MAX_SHARD_SIZE = 300_000  # "300KB": three shards of the 0.8 MB model


class TextEncoder(nn.Module):
    def __init__(self, vocab=100, d=64, layers=12, classes=10):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=128, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)


def sha(t):
    t = t.detach().contiguous()
    b = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
    return hashlib.sha256(b).hexdigest()


def split(sd, max_size):
    shards, current, size = [], collections.OrderedDict(), 0
    for k, v in sd.items():
        n = v.numel() * v.element_size()
        if current and size + n > max_size:
            shards.append(current)
            current, size = collections.OrderedDict(), 0
        current[k] = v
        size += n
    shards.append(current)
    return shards


def save_safetensors(sd, path):
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for k, v in sd.items():
        b = v.detach().contiguous().numpy().tobytes()
        header[k] = {"dtype": names[v.dtype], "shape": list(v.shape),
                     "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_sharded(sd, folder, stem, ext, save):
    os.makedirs(folder, exist_ok=True)
    shards = split(sd, MAX_SHARD_SIZE)
    weight_map, names = {}, []
    for i, shard in enumerate(shards):
        name = f"{stem}-{i + 1:05d}-of-{len(shards):05d}{ext}"
        names.append(name)
        save(shard, os.path.join(folder, name))
        for k in shard:
            weight_map[k] = name
    total = sum(v.numel() * v.element_size() for v in sd.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(folder, f"{stem}{ext}.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return names, total


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    model = TextEncoder().half()
    sd = collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    st_names, total = write_sharded(sd, os.path.join(out, "safetensors"), "model", ".safetensors",
                                    save_safetensors)
    bin_names, _ = write_sharded(sd, os.path.join(out, "bin"), "pytorch_model", ".bin",
                                 lambda s, p: torch.save(s, p))
    torch.manual_seed(2)
    fresh = TextEncoder().half()
    torch.save(fresh.state_dict(keep_vars=True), os.path.join(out, "target.pt"))
    expected = {
        "torch": torch.__version__,
        "maxShardSize": MAX_SHARD_SIZE,
        "totalSize": total,
        "keys": list(sd),
        "sha256": {k: sha(v) for k, v in sd.items()},
        "safetensorsShards": st_names,
        "binShards": bin_names,
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    # The files load back with transformers' algorithm into what was saved.
    for index in ("safetensors/model.safetensors.index.json", "bin/pytorch_model.bin.index.json"):
        sys.argv = ["load_state_dict.py"]
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        import load_state_dict
        loaded = load_state_dict.load_sharded(os.path.join(out, index))
        assert sorted(loaded) == sorted(sd), index
        assert all(sha(loaded[k]) == expected["sha256"][k] for k in sd), index


if __name__ == "__main__":
    main(sys.argv[1])
