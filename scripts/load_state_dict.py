#!/usr/bin/python3
"""Loads a state dict as torch does and prints the SHA-256 of every tensor's bytes, as JSON.

Usage (Debian's torch; on the dev machines /usr/bin/python3):

    /usr/bin/python3 scripts/load_state_dict.py FILE

FILE is one of:
- a `torch.save` state dict (`pytorch_model.bin`, a Graft `pytorch` artifact): read with
  `torch.load(FILE, map_location="cpu", weights_only=True)`;
- a safetensors file: read here (the `safetensors` package does not come with Debian's torch) as
  `safetensors.torch.load_file` would;
- a Hugging Face shard index (`model.safetensors.index.json`, `pytorch_model.bin.index.json`):
  loaded with the algorithm of `transformers.modeling_utils.load_sharded_checkpoint` (transformers
  is not installed here): read the index, check that every key of the model is in its
  `weight_map`, then load the shard files named there one by one, in sorted order of their set,
  and `load_state_dict(shard, strict=False)` each into the model. The "model" here is an empty
  dict filled shard by shard, keyed as `weight_map` lists the keys; a key that two shards hold
  is an error, as it would be for a real model (its value would depend on the order).

Prints `{"keys": [...in load order...], "sha256": {key: hex}, "dtype": {key: name},
"shape": {key: [..]}}` on stdout. Hashes are of the contiguous little-endian bytes (bfloat16
viewed as int16), as scripts/make_multisource_oracle.py records them.
"""

import hashlib
import json
import os
import struct
import sys

import torch

ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def sha(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        b = t.view(torch.int16).numpy().tobytes()
    else:
        b = t.numpy().tobytes()
    return hashlib.sha256(b).hexdigest()


def load_safetensors(path):
    """safetensors.torch.load_file, for the dtypes above: the header, then each tensor's bytes."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for k, v in header.items():
        start, end = v["data_offsets"]
        dtype = ST_DTYPES[v["dtype"]]
        raw = bytearray(data[base + start:base + end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[k] = t.reshape(v["shape"]).clone()
    return out


def load_file(path):
    if path.endswith(".safetensors"):
        return load_safetensors(path)
    return torch.load(path, map_location="cpu", weights_only=True)


def load_sharded(index_path):
    """transformers' load_sharded_checkpoint(model, folder, strict=True), model = the index keys."""
    folder = os.path.dirname(index_path)
    with open(index_path) as f:
        index = json.load(f)
    weight_map = index["weight_map"]
    shard_files = sorted(set(weight_map.values()))
    # transformers checks the model's keys against the index before loading (strict): here the
    # model's keys are the index's, so the check is that every shard holds what the index says.
    model = {}
    for shard_file in shard_files:
        state_dict = load_file(os.path.join(folder, shard_file))
        for k, v in state_dict.items():
            if weight_map.get(k) != shard_file:
                raise SystemExit(f"{shard_file} holds {k}, which the index puts in {weight_map.get(k)}")
            if k in model:
                raise SystemExit(f"{k} is in two shards")
            model[k] = v
        del state_dict
    missing = [k for k in weight_map if k not in model]
    if missing:
        raise SystemExit(f"keys in the index but in no shard: {missing[:5]}")
    total = sum(t.numel() * t.element_size() for t in model.values())
    declared = index.get("metadata", {}).get("total_size")
    if declared is not None and declared != total:
        raise SystemExit(f"metadata.total_size is {declared}, the shards hold {total} bytes")
    # In the order the shards gave them (weight_map is sorted by key, as transformers writes it).
    return model


def main(path):
    sd = load_sharded(path) if path.endswith(".index.json") else load_file(path)
    out = {"keys": list(sd), "sha256": {}, "dtype": {}, "shape": {}}
    for k, t in sd.items():
        out["sha256"][k] = sha(t)
        out["dtype"][k] = str(t.dtype).replace("torch.", "")
        out["shape"][k] = list(t.shape)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
