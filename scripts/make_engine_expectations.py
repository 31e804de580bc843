"""Writes the expectations DjlTensorEngineTests compares against, produced by torch itself.

Why: the engine must give the bytes torch gives, and the tests must not need Python, so torch's
answers are committed as a fixture. Run with /usr/bin/python3 (torch 1.13) from the repository root:

    /usr/bin/python3 scripts/make_engine_expectations.py

Every cast is `torch.empty(shape, dtype=to).copy_(src)`; every overlap copy is the target's initial
value with `[:min(s0,t0), ...]` replaced by the source's block through `copy_`. Inputs avoid what C++
leaves undefined in torch (NaN, infinities and out-of-range floats converted to integers).
"""
import base64
import json
import math
import os

import torch

OUT = os.path.join("src", "test", "resources", "fixtures", "engine", "expectations.json")

# The dtypes the engine handles: those DJL's PyTorch engine holds, plus bfloat16 and int16, which the
# engine bridges through float32 and int32 (uint16/32/64 crash DJL's native mapping and are refused).
DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
FLOATS = {"float64", "float32", "float16", "bfloat16"}
INT_RANGE = {
    "int64": (-(2**63), 2**63 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int8": (-128, 127),
    "uint8": (0, 255),
}

FLOAT_VALUES = [
    0.0, -0.0, 1.5, -1.7, 2.5, -2.5, 0.1, -0.1, 1e-8, -3e-5, 6e-8, 65504.0, 65519.0, 65520.0,
    1e5, -1e5, 100.9, -100.9, 127.4, -128.9, 255.7, 3.141592653589793, 16777217.0,
    # Above a float16 tie only in float64: shows whether float64->float16 rounds once or twice.
    1.0 + 2.0**-11 + 2.0**-40,
    3e9, -3e9, 1e20, 1e-40, math.inf, -math.inf, math.nan, -math.nan,
]
INT_VALUES = [0, 1, -1, 2, 127, -128, 255, 256, 300, -300, 2049, 65519, 65520, 70000, 2**24 + 1,
              2**31 - 1, -(2**31), 2**40 + 1, 2**53 + 1, -(2**62) - 3]


def b64(t):
  t = t.contiguous()
  if t.dtype == torch.bfloat16:
    # numpy has no bfloat16: take the same bytes as int16.
    t = t.view(torch.int16)
  return base64.b64encode(t.numpy().tobytes()).decode("ascii")


def source(name):
  if name in FLOATS:
    return torch.tensor(FLOAT_VALUES, dtype=torch.float64).to(DTYPES[name])
  if name == "bool":
    return torch.tensor([True, False, True, True, False])
  # int64 -> narrower integer wraps modulo 2^bits in torch: defined behaviour, kept on purpose.
  return torch.tensor(INT_VALUES, dtype=torch.int64).to(DTYPES[name])


def defined(src, frm, to):
  """Keeps the elements whose conversion C++ defines (float -> integer only when in range)."""
  if frm in FLOATS and to in INT_RANGE:
    lo, hi = INT_RANGE[to]
    d = src.to(torch.float64)
    ok = torch.isfinite(d)
    t = torch.where(ok, torch.trunc(d), torch.zeros_like(d))
    ok &= (t >= lo) & (t <= hi)
    return src[ok]
  return src


def cast_cases():
  cases = []
  for frm in DTYPES:
    for to in DTYPES:
      src = defined(source(frm), frm, to)
      out = torch.empty(src.shape, dtype=DTYPES[to]).copy_(src)
      cases.append({"from": frm, "to": to, "shape": list(src.shape), "input": b64(src),
                    "expected": b64(out)})
  # Rank 2 and 0-dim: the same conversion, other shapes.
  src = torch.tensor([[1.25, -2.75, 3.5], [70000.0, -0.5, 0.3]], dtype=torch.float32)
  cases.append({"from": "float32", "to": "float16", "shape": [2, 3], "input": b64(src),
                "expected": b64(torch.empty((2, 3), dtype=torch.float16).copy_(src))})
  src = torch.tensor(-7.9, dtype=torch.float64)
  cases.append({"from": "float64", "to": "int32", "shape": [], "input": b64(src),
                "expected": b64(torch.empty((), dtype=torch.int32).copy_(src))})
  return cases


def filled(shape, dtype, start):
  n = math.prod(shape)
  vals = torch.arange(start, start + n, dtype=torch.float64) * 0.37 - n * 0.1
  if dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
    vals = torch.arange(start, start + n, dtype=torch.int64) % 100
  return vals.reshape(shape).to(dtype)


def overlap_cases():
  specs = [
      ("float32", [5], "float32", [8]),
      ("float32", [8], "float32", [5]),
      ("float32", [4, 3], "float32", [6, 3]),
      ("float64", [4, 6], "float32", [6, 3]),
      ("float32", [6, 3], "float16", [4, 5]),
      ("int64", [3, 7], "int32", [5, 2]),
      ("int16", [3, 3], "int16", [2, 4]),
      ("float32", [8, 4, 3, 3], "float32", [6, 5, 3, 3]),
      ("float16", [2, 3, 5, 5], "float64", [3, 2, 3, 7]),
      ("float32", [0, 3], "float32", [2, 3]),
      ("float32", [3, 5], "bfloat16", [4, 4]),
      ("bfloat16", [4, 2], "float16", [2, 3]),
      ("float32", [], "float32", []),
  ]
  cases = []
  for frm, sshape, to, tshape in specs:
    src = filled(sshape, DTYPES[frm], 1)
    init = filled(tshape, DTYPES[to], 1000)
    out = init.clone()
    block = tuple(slice(0, min(s, t)) for s, t in zip(sshape, tshape))
    out[block].copy_(src[block])
    cases.append({"from": frm, "sourceShape": sshape, "to": to, "targetShape": tshape,
                  "source": b64(src), "targetInitial": b64(init), "expected": b64(out)})
  return cases


def init_cases():
  cases = []
  for dtype in ["float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]:
    for shape in [[3, 4], []]:
      cases.append({"scheme": "zeros", "params": {}, "dtype": dtype, "shape": shape,
                    "expected": b64(torch.nn.init.zeros_(torch.empty(shape, dtype=DTYPES[dtype])))})
      cases.append({"scheme": "ones", "params": {}, "dtype": dtype, "shape": shape,
                    "expected": b64(torch.nn.init.ones_(torch.empty(shape, dtype=DTYPES[dtype])))})
  for dtype, value in [("float64", 0.1), ("float32", 0.1), ("float16", 0.1), ("float16", 1000.3), ("bfloat16", 0.1), ("bfloat16", -1000.3),
                       ("float32", -2.5), ("int64", 2.7), ("int32", -3.9), ("int16", -300.2), ("uint8", 200.0),
                       ("bool", 0.5), ("bool", 0.0)]:
    t = torch.nn.init.constant_(torch.empty([2, 5], dtype=DTYPES[dtype]), value)
    cases.append({"scheme": "constant", "params": {"value": value}, "dtype": dtype, "shape": [2, 5],
                  "expected": b64(t)})
  # Constants torch refuses ("value cannot be converted to type ... without overflow") and their
  # neighbours it accepts: the engine must draw the same line.
  for dtype, value in [("float16", 65504.0), ("float16", 65505.0), ("float16", -65520.0),
                       ("float16", math.inf), ("bfloat16", 3.38e38), ("bfloat16", 3.4e38),
                       ("float32", 3.5e38), ("float64", 1e300), ("int8", 127.0), ("int8", 127.9),
                       ("int8", -128.0), ("int8", -128.5), ("uint8", 255.0), ("uint8", 255.5),
                       ("uint8", -1.0), ("int16", 32768.0), ("int32", 2147483648.0),
                       ("int64", 9.2e18), ("int64", 9.3e18), ("int64", math.nan), ("int32", math.inf),
                       ("bool", 5.0)]:
    try:
      t = torch.nn.init.constant_(torch.empty([3], dtype=DTYPES[dtype]), value)
      case = {"expected": b64(t)}
    except RuntimeError as e:
      assert "without overflow" in str(e), e
      case = {"error": str(e)}
    # JSON has no infinities or NaN: such values travel as strings.
    shown = value if math.isfinite(value) else str(value)
    cases.append({"scheme": "constant", "params": {"value": shown}, "dtype": dtype, "shape": [3],
                  **case})
  return cases


def main():
  doc = {
      "generator": "scripts/make_engine_expectations.py",
      "torch": torch.__version__,
      "casts": cast_cases(),
      "overlaps": overlap_cases(),
      "inits": init_cases(),
  }
  os.makedirs(os.path.dirname(OUT), exist_ok=True)
  with open(OUT, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
  print(f"wrote {OUT}: {len(doc['casts'])} casts, {len(doc['overlaps'])} overlaps, {len(doc['inits'])} inits")


if __name__ == "__main__":
  main()
