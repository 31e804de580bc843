#!/usr/bin/python3
"""Writes the hostile-input corpus of issue 8 plus OUT_DIR/manifest.json.

Usage:  /usr/bin/python3 scripts/make_hostile_inputs.py OUT_DIR [--large]

Without --large it writes the small set, committed in src/test/resources/hostile/ (about 1 MB, a few
seconds; the TorchScript archives need Debian's python3-torch). With --large it writes only the
large set instead (about 200 MB, no torch needed), which .ci/run generates at CI time and
HostileInputApiTests also sends when GRAFT_HOSTILE_LARGE_DIR names its folder. Output is
deterministic: the same bytes on every run and machine.

Every file belongs to one class of issue 8's "The worst" list:
  1 code from an upload runs          2 one upload kills the process
  3 a small input exhausts the heap   4 a small input burns the CPU
  5 a 500 or half-stored data         6 a hostile file is accepted
  7 an error a client cannot use

manifest.json is {"generator", "marker", "files": [...]}, one object per file:
  file, set (small|large), class (1-7), classTitle,
  endpoint      "checkpoints" or "architectures" (POST /api/v1/<endpoint>)
  contentType   "application/octet-stream" (the raw file) or "application/json" (a JSON description)
  query         the query string to send (URL-encoded; a unique name, sometimes the attack itself)
  headers       extra request headers
  attack        what the file does and which part of Graft it aims at
  expect        the statuses a correct Graft may answer: 413 for a limit, else 400 or 422
  mayAccept     true where accepting is legitimate (harmless but huge metadata, say): then a 2xx is
                fine too, as long as it is answered in bounded time and can be read back
  expected      the same in words
  detailMustNotContain  (optional) a phrase the problem's detail must not use (a wrong diagnosis)
  proof         (optional) what Debian's torch does with the file, checked by
                scripts/prove_torchscript_payloads_are_live.py: {"kind": "marker", "load": ..,
                "marker": path} (a payload creates the file), {"kind": "signal", "load": ..} (the
                loading process dies by a signal), {"kind": "hangs", "load": .., "seconds": n}
                (torch is still loading it after n seconds), {"kind": "reads", "load":
                "torch.load", "key", "values"} (torch reads other bytes than the record Graft
                indexes)
  bytes, sha256

Every code-execution payload creates /tmp/graft-pwned-<file>, so a test can check that no
/tmp/graft-pwned* file ever appears. NEVER load these files with torch.load or torch.jit.load
outside the proof script.
"""

import hashlib
import io
import json
import os
import random
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tinyzip  # noqa: E402
from make_bad_inputs import ARCHIVE, F6, MARKER, P, payload, safetensors, state_dict  # noqa: E402

try:
    import torch
    from typing import Tuple
except ImportError:  # the large set needs no torch
    torch = None

CLASS_TITLES = {
    1: "code from an upload runs on the server",
    2: "one upload kills the process",
    3: "a small input exhausts the heap",
    4: "a small input burns the CPU",
    5: "a 500 or half-stored data for bad input",
    6: "a hostile file is accepted",
    7: "an error a client cannot use",
}
OCTET = "application/octet-stream"
JSON = "application/json"
REFUSED = [400, 422]
LIMIT_OR_REFUSED = [400, 413, 422]


class Corpus:
    def __init__(self, outdir, set_name):
        self.outdir = outdir
        self.set_name = set_name
        self.files = []

    def add(self, name, cls, attack, data, *, endpoint="checkpoints", content_type=OCTET,
            expect=REFUSED, may_accept=False, query=None, headers=None, proof=None,
            detail_must_not_contain=None):
        assert cls in CLASS_TITLES, cls
        assert all(400 <= s < 500 for s in expect), expect
        path = os.path.join(self.outdir, name)
        with open(path, "wb") as f:
            f.write(data)
        if query is None:
            query = "" if content_type == JSON else "name=hostile-" + name
        words = " or ".join(str(s) for s in expect)
        if 413 in expect and len(expect) > 1:
            words = "413 for a limit, else " + " or ".join(str(s) for s in expect if s != 413)
        entry = {
            "file": name,
            "set": self.set_name,
            "class": cls,
            "classTitle": CLASS_TITLES[cls],
            "endpoint": endpoint,
            "contentType": content_type,
            "query": query,
            "headers": headers or {},
            "attack": attack,
            "expect": list(expect),
            "mayAccept": may_accept,
            "expected": ("2xx or " + words + ", bounded" if may_accept else words),
        }
        if detail_must_not_contain:
            entry["detailMustNotContain"] = detail_must_not_contain
        if proof:
            entry["proof"] = proof
        entry["bytes"] = len(data)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        self.files.append(entry)

    def write_manifest(self):
        names = [f["file"] for f in self.files]
        assert len(names) == len(set(names)), "duplicate file names"
        with open(os.path.join(self.outdir, "manifest.json"), "w") as f:
            json.dump({"generator": "scripts/make_hostile_inputs.py", "marker": MARKER,
                       "files": self.files}, f, indent=1)
            f.write("\n")


def marker(name):
    return "%s-%s" % (MARKER, name)


def noise(seed, n, alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"):
    """n deterministic pseudo-random characters: hard to compress, so a database index sees them
    at full length."""
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------------------------------------
# Zip writing beyond tinyzip: gaps between records and zip64 extra fields.

def zip_bytes(entries, align=64):
    """Like tinyzip.build_zip for stored records, plus per entry:
      gap      bytes written before the entry's local header (not referenced by anything)
      zip64    (uncompressed, compressed): both 32-bit size fields say 0xffffffff and a zip64
               extra field in both headers gives these sizes instead
      crc      an overridden CRC-32
    """
    out = bytearray()
    central = bytearray()
    for e in entries:
        out += e.get("gap", b"")
        name = e["name"].encode("utf-8")
        data = e["data"]
        crc = e.get("crc", zlib.crc32(data) & 0xFFFFFFFF)
        usize = csize = len(data)
        z64 = b""
        if "zip64" in e:
            usize, csize = e["zip64"]
            z64 = struct.pack("<HHQQ", 0x0001, 16, usize, csize)
            usize32 = csize32 = 0xFFFFFFFF
        else:
            usize32, csize32 = usize, csize
        offset = len(out)
        header_len = 30 + len(name) + len(z64)
        pad = (-(offset + header_len + 4)) % align if align else 0
        extra = z64 + struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if z64 else 20, 0, 0, 0, 0x21, crc,
                           csize32, usize32, len(name), len(extra))
        out += name + extra + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45 if z64 else 20,
                               45 if z64 else 20, 0, 0, 0, 0x21, crc, csize32, usize32, len(name),
                               len(z64), 0, 0, 0, 0, offset)
        central += name + z64
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       cd_offset, 0)
    return bytes(out)


def records(pkl, extra=(), storages=None, first=()):
    """A torch.save archive's records: data.pkl, `first`, data/<key> for each storage, `extra`,
    version."""
    es = [{"name": ARCHIVE + "/data.pkl", "data": pkl}] + list(first)
    for key, data in (storages if storages is not None else {"st0": F6}).items():
        es.append({"name": ARCHIVE + "/data/" + key, "data": data})
    es += list(extra)
    es.append({"name": ARCHIVE + "/version", "data": b"3\n"})
    return es


def one_tensor():
    """{'weight': 2x3 float tensor on storage st0}."""
    return state_dict(("weight", lambda p: p.tensor("st0"))).bytes()


def nested(pkl_items, inner_key="state_dict"):
    """{inner_key: {'weight': tensor}, <other items pushed by pkl_items(p)>} as a pickle."""
    p = P().op(b"}").mark().s(inner_key).op(b"}").s("weight").tensor("st0").op(b"s")
    pkl_items(p)
    return p.op(b"u").stop().bytes()


def st_file(tensors, metadata=None):
    """A valid safetensors file: tensors is [(key, F32 values)], laid out in order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = bytearray()
    for key, values in tensors:
        raw = struct.pack("<%df" % len(values), *values)
        header[key] = {"dtype": "F32", "shape": [len(values)],
                       "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-(8 + len(text)) % 8)
    return safetensors(text, bytes(data))


def arch_json(name, entries):
    return json.dumps({"name": name, "entries": entries}, separators=(",", ":")).encode()


def arch_entry(key, shape=(2, 2), init=None, **extra):
    e = {"key": key, "dtype": "float32", "shape": list(shape), "kind": "PARAMETER"}
    if init is not None:
        e["init"] = init
    e.update(extra)
    return e


# ---------------------------------------------------------------------------------------------
# Class 1 and 2, and TorchScript parts of 3 and 4: real torch.jit archives, edited where needed.

if torch is not None:

    class Helper(object):
        """Not a module: its pickled state is its __getstate__ tuple, and torch.jit.load calls
        __setstate__ on it, which maps a file shared and writes to it."""

        def __init__(self, path: str):
            self.path = path
            self.written = 0

        def __getstate__(self) -> Tuple[str, int]:
            return (self.path, 0)

        def __setstate__(self, state: Tuple[str, int]) -> None:
            self.path = state[0]
            t = torch.from_file(state[0], shared=True, size=16, dtype=torch.uint8)
            t.fill_(80)
            # Using the result keeps TorchScript from dropping the write as dead code.
            self.written = int(t.sum())

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)

    Helper = torch.jit.script(Helper)

    class NetWithHelper(torch.nn.Module):
        def __init__(self, path):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)
            self.helper = Helper(path)

        def forward(self, x):
            return self.fc(x)


def script_records(make_module):
    """torch.jit.save(torch.jit.script(module)) as [relative name, bytes], .debug_pkl records left
    out (they hold the generator's source paths and torch loads fine without them)."""
    torch.manual_seed(0)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(make_module()), buf)
    out = []
    for name, data in tinyzip.read_stored_zip(buf.getvalue()):
        rel = name.split("/", 1)[1]
        if not rel.endswith(".debug_pkl"):
            out.append([rel, data])
    return out


def pack_script(recs, stored_code=()):
    """A TorchScript archive as torch writes it: code records deflated, everything else stored."""
    es = []
    for rel, data in recs:
        e = {"name": ARCHIVE + "/" + rel, "data": data}
        if rel.startswith("code/") and rel not in stored_code:
            e["method"] = 8
        es.append(e)
    return tinyzip.build_zip(es)


def record(recs, rel):
    for r in recs:
        if r[0] == rel:
            return r
    raise KeyError(rel)


def torchscript_files(c):
    name = "ts_from_file_setstate.pt"
    recs = script_records(lambda: NetWithHelper(marker(name)))
    c.add(name, 1,
          "TorchScript archive made by torch.jit.script/torch.jit.save whose helper class (not a "
          "module, so Graft's reader skips it) has a __setstate__ calling torch.from_file(path, "
          "shared=True, size=16) and writing to the mapping: torch.jit.load (libtorch's "
          "torch::jit::load, which DJL's model.load is) creates and writes " + marker(name) +
          ". Any file the service user can write could be created or overwritten this way. Graft "
          "never hands an upload to libtorch: the archive's layout is valid, so it may be stored "
          "as inert data; what must never happen is the marker.",
          pack_script(recs), endpoint="architectures", expect=[422], may_accept=True,
          proof={"kind": "marker", "load": "torch.jit.load", "marker": marker(name)})

    name = "ts_nested_parens.pt"
    recs = script_records(Net)
    code = record(recs, "code/__torch__.py")
    text = code[1].decode()
    call = "forward(x, )"
    assert text.count(call) == 1, text
    depth = 100_000
    code[1] = text.replace(call, "forward(" + "(" * depth + "x" + ")" * depth + ", )").encode()
    c.add(name, 2,
          "torch.jit.save archive whose forward (edited at the zip level, record stored) passes "
          "its argument inside 100,000 nested parentheses: libtorch's recursive-descent parser "
          "overflows its stack when torch.jit.load compiles the code, killing the process with "
          "SIGSEGV (the JVM, its connections and its embedded PostgreSQL's parent). Graft never "
          "compiles TorchScript code: it may store the archive as inert data, and must stay up.",
          pack_script(recs, stored_code={"code/__torch__.py"}), endpoint="architectures",
          expect=[422], may_accept=True, proof={"kind": "signal", "load": "torch.jit.load"})

    name = "ts_deflate_bomb.pt"
    recs = script_records(Net)
    code = record(recs, "code/__torch__.py")
    size = 245_000_000
    code[1] = code[1] + b"\n#" + b" " * (size - len(code[1]) - 2)
    data = pack_script(recs)
    c.add(name, 3,
          "torch.jit.save archive whose code/__torch__.py record is a deflate bomb: the real class "
          "code followed by a comment of spaces, declared honestly as 245,000,000 bytes "
          "(under the 256 MiB pickle limit) and compressed %d:1 into %d KB. Inflating it whole "
          "and decoding it as text takes about 1 GB of heap." % (size // len(data),
                                                                   len(data) // 1000),
          data, endpoint="architectures", expect=[413, 422])

    name = "ts_module_dag_40.pt"
    c.add(name, 4,
          "TorchScript archive whose modules form a DAG 40 levels deep: module Pair<i> has "
          "submodules a and b that are the same Pair<i-1> object (memo references in data.pkl), "
          "down to one Leaf with one parameter, and the lowest 18 Pairs also hold 1,000 "
          "attributes referring to one small non-module object. state_dict() has 2^40 keys: a "
          "reader that walks the DAG as a tree checks 1,000 attributes on each of its 200,000 "
          "allowed module paths (about 20 s here) before giving up; counted on the DAG it is over "
          "the tensor limit at once. libtorch walks it as a tree too (12 levels take 2.5 s in "
          "torch.jit.load, 14 levels 7 s, 40 never finish), so DJL's model.load would pin a "
          "request thread as well.",
          module_dag(40, 1000, 18), endpoint="architectures", expect=[413, 422],
          proof={"kind": "hangs", "load": "torch.jit.load", "seconds": 15})


def module_dag(levels, width, wide_levels):
    """A TorchScript archive of Pair<levels> -> ... -> Pair1 -> Leaf, each Pair's a and b the same
    child object. The lowest `wide_levels` Pairs also hold `width` attributes h0, h1, ... that all
    refer to one object of a small non-module class, so that every visit of such a module costs
    `width` attribute checks. Code and pickle follow what torch.jit.save writes for such classes."""
    OPAQUE = 255  # memo slot of the shared non-module object
    code = [
        "class Opaque:",
        "  n : int",
        "class Leaf(Module):",
        "  __parameters__ = [\"w\", ]",
        "  __buffers__ = []",
        "  w : Tensor",
        "  training : bool",
        "  _is_full_backward_hook : Optional[bool]",
        "  o : __torch__.Opaque",
        "  def forward(self: __torch__.Leaf,",
        "    x: Tensor) -> Tensor:",
        "    w = self.w",
        "    return torch.add(x, w)",
    ]
    for i in range(1, levels + 1):
        child = "__torch__.Leaf" if i == 1 else "__torch__.Pair%d" % (i - 1)
        code += [
            "class Pair%d(Module):" % i,
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  _is_full_backward_hook : Optional[bool]",
            "  a : %s" % child,
            "  b : %s" % child,
        ]
        if i <= wide_levels:
            code += ["  h%d : __torch__.Opaque" % j for j in range(width)]
        code += [
            "  def forward(self: __torch__.Pair%d," % i,
            "    x: Tensor) -> Tensor:",
            "    b = self.b",
            "    a = self.a",
            "    return (b).forward((a).forward(x, ), )",
        ]
    p = P()

    def common(q):
        q.s("training").op(b"\x88").s("_is_full_backward_hook").op(b"N")

    # torch's TorchScript unpickler has no POP, so each child is built inline as its parent's
    # 'a' and memoised there, and 'b' refers to it: Pair<n>{a: Pair<n-1>{a: ...}, b: memo}.
    for i in range(levels, 0, -1):
        p.glob("__torch__", "Pair%d" % i).op(b")").op(b"\x81").op(b"}").mark()
        common(p)
        p.s("a")
    # Leaf: GLOBAL, (), NEWOBJ, {training, hook, w: _rebuild_tensor_v2(...), o: Opaque},
    # BUILD, BINPUT 0
    p.glob("__torch__", "Leaf").op(b")").op(b"\x81").op(b"}").mark()
    common(p)
    p.s("w").glob("torch._utils", "_rebuild_tensor_v2").mark()
    p.mark().s("storage").glob("torch", "FloatStorage").s("0").s("cpu").i(1).tuple().op(b"Q")
    p.i(0).ints_tuple((1,)).ints_tuple((1,)).op(b"\x88")
    p.glob("collections", "OrderedDict").op(b")").reduce().tuple().reduce()
    p.s("o").glob("__torch__", "Opaque").op(b")").op(b"\x81")
    p.op(b"}").mark().s("n").i(0).op(b"u")  # torch's unpickler has SETITEMS, not SETITEM
    p.op(b"b").op(b"q" + bytes([OPAQUE]))
    p.op(b"u").op(b"b").op(b"q\x00")
    for i in range(1, levels + 1):
        p.s("b").op(b"h" + bytes([i - 1]))
        if i <= wide_levels:
            for j in range(width):
                p.s("h%d" % j).op(b"h" + bytes([OPAQUE]))
        p.op(b"u").op(b"b").op(b"q" + bytes([i]))
    p.stop()
    es = [
        {"name": ARCHIVE + "/data/0", "data": struct.pack("<f", 0.5)},
        {"name": ARCHIVE + "/data.pkl", "data": p.bytes()},
        {"name": ARCHIVE + "/code/__torch__.py", "data": ("\n".join(code) + "\n").encode(),
         "method": 8},
        {"name": ARCHIVE + "/constants.pkl", "data": b"\x80\x02)."},
        {"name": ARCHIVE + "/version", "data": b"3\n"},
    ]
    return tinyzip.build_zip(es)


# ---------------------------------------------------------------------------------------------
# torch.save zips that lie at the zip level (classes 6 and 7).

def zip_files(c):
    evil = payload(P(), "zip_case_data_pkl.pt").stop().bytes()
    c.add("zip_case_data_pkl.pt", 6,
          "Two records archive/data.pkl and archive/DATA.PKL, differing only in case. Graft looks "
          "names up exactly and indexes the harmless data.pkl; torch 1.13 (miniz, case-insensitive "
          "lookup, the later record wins) unpickles DATA.PKL, a posix.system payload that creates "
          + marker("zip_case_data_pkl.pt") + ". Names colliding ignoring case must be refused.",
          zip_bytes(records(one_tensor(), first=[{"name": ARCHIVE + "/DATA.PKL", "data": evil}])),
          expect=[422],
          proof={"kind": "marker", "load": "torch.load", "marker": marker("zip_case_data_pkl.pt")})

    other = struct.pack("<6f", 666, 666, 666, 666, 666, 666)
    c.add("zip_case_storage.pt", 6,
          "Two storage records archive/data/st0 and archive/DATA/ST0: Graft indexes the bytes of "
          "data/st0 (1..6), torch.load reads DATA/ST0 (666s). What Graft checked and stored is not "
          "what torch loads.",
          zip_bytes(records(one_tensor(), extra=[{"name": ARCHIVE + "/DATA/ST0", "data": other}])),
          expect=[422],
          proof={"kind": "reads", "load": "torch.load", "key": "weight", "values": [666.0] * 6})

    hidden_pkl = payload(P(), "zip_hidden_local_header.pt").stop().bytes()
    hidden = zip_bytes([{"name": ARCHIVE + "/data.pkl", "data": hidden_pkl}], align=0)
    hidden = hidden[:hidden.index(b"PK\x01\x02")]  # the local header and data only
    es = records(one_tensor())
    es[1]["gap"] = hidden
    c.add("zip_hidden_local_header.pt", 6,
          "A complete local header and record for archive/data.pkl, holding a posix.system "
          "payload, hidden in the gap between the real data.pkl and data/st0 and referenced by "
          "no central directory entry: a streaming reader (ZipInputStream, unzip from a pipe) "
          "finds a second data.pkl there. Bytes in gaps no entry accounts for must be refused.",
          zip_bytes(es), expect=[422])

    es = records(one_tensor())
    es[1]["crc"] = (zlib.crc32(F6) ^ 0xFFFFFFFF) & 0xFFFFFFFF
    c.add("zip_bad_crc.pt", 6,
          "The storage record archive/data/st0 carries a CRC-32 that does not match its bytes. "
          "torch 1.13 (built with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS) loads it anyway; Graft "
          "must check the CRC in the pass that hashes the upload and refuse it.",
          zip_bytes(es), expect=[422])

    es = records(one_tensor())
    es[1]["zip64"] = (1 << 33, len(F6))
    c.add("zip64_size_lie.pt", 7,
          "The storage record's 32-bit sizes say 0xffffffff and its zip64 extra field claims "
          "8 GiB uncompressed for 24 stored bytes. Today's detail calls it 'compressed (method "
          "0)', which it is not: the detail must name the size lie.",
          zip_bytes(es), expect=[422], detail_must_not_contain="compressed (method 0")


# ---------------------------------------------------------------------------------------------
# Pickles (classes 3, 4 and 5).

def tuple_hash_bomb(levels):
    """{'weight': tensor, t: 1} where t = (t', t'), t' = (t'', t''), ... `levels` deep: DUP makes
    both items one object, so the pickle is 2 bytes a level, but hashing t visits 2^levels
    tuples (Python's own tuple hash does too)."""
    p = P().op(b"}").s("weight").tensor("st0").op(b"s")
    p.op(b")")
    for _ in range(levels):
        p.op(b"2").op(b"\x86")  # DUP, TUPLE2
    return p.i(1).op(b"s").stop().bytes()


def list_dag(p, fanout, levels):
    """Pushes L<levels> where L0 = [0] and L<i> = [L<i-1>] * fanout, each list memoised once."""
    p.op(b"]").i(0).op(b"a").op(b"q\x00").op(b"0")
    for i in range(1, levels + 1):
        p.op(b"]").mark()
        for _ in range(fanout):
            p.op(b"h" + bytes([i - 1]))
        p.op(b"e").op(b"q" + bytes([i])).op(b"0")
    p.op(b"h" + bytes([levels]))


def memo_amplified(p, length, refs):
    """Pushes a list holding `refs` references to one memoised string of `length` characters."""
    p.s(noise(7, length)).op(b"q\x00").op(b"0")
    p.op(b"]")
    done = 0
    while done < refs:
        n = min(1000, refs - done)
        p.mark()
        for _ in range(n):
            p.op(b"h\x00")
        p.op(b"e")
        done += n


def long4(nbytes, seed):
    """LONG4 of nbytes pseudo-random bytes (positive)."""
    r = random.Random(seed)
    raw = bytes(r.randrange(256) for _ in range(nbytes - 1)) + b"\x01"
    return b"\x8b" + struct.pack("<i", len(raw)) + raw


def huge_numel_pickle(nbytes):
    """{'weight': tensor} whose storage persistent id gives numel as a LONG4 of nbytes."""
    p = P().op(b"}").s("weight").glob("torch._utils", "_rebuild_tensor_v2").mark()
    p.mark().s("storage").glob("torch", "FloatStorage").s("st0").s("cpu").raw(long4(nbytes, 3))
    p.tuple().op(b"Q").i(0).ints_tuple((2, 3)).ints_tuple((3, 1)).false()
    p.glob("collections", "OrderedDict").op(b")").reduce().tuple().reduce()
    return p.op(b"s").stop().bytes()


def keyhint_quadratic(depth, calls):
    """MARK, GLOBAL collections.OrderedDict, DUP x depth, then `calls` times DUP () REDUCE POP,
    POP_MARK, then an ordinary state dict. Each REDUCE's key hint scans down the stack past every
    global: depth x calls steps for a file of depth + 4 x calls bytes."""
    p = P().mark().glob("collections", "OrderedDict")
    p.raw(b"2" * depth)
    p.raw(b"2)R0" * calls)
    p.op(b"1")  # POP_MARK
    body = state_dict(("weight", lambda q: q.tensor("st0"))).bytes()
    return p.bytes() + body[2:]  # the state dict without its PROTO


def pickle_files(c):
    c.add("pkl_tuple_hash_bomb.pt", 4,
          "data.pkl (about 130 bytes) builds a tuple nested 29 deep whose two items are the same "
          "tuple (DUP, TUPLE2) and uses it as a dict key: checking and hashing it naively visits "
          "2^29 tuples twice, about 35 s here (each level more doubles it; 29 keeps today's run "
          "finite). Hashing must be bounded by a work budget or memoised.",
          zip_bytes(records(tuple_hash_bomb(29))), expect=[413, 422])

    c.add("pkl_list_dag_metadata.pt", 3,
          "A nested checkpoint {'state_dict': {...}, 'config': L5} where L0 = [0] and L<i> is a "
          "list of 128 references to L<i-1>: about 1.3 KB of pickle, but 128^5 (3.4e10) leaves "
          "when the metadata is rendered as JSON by copying (PlainData.convert).",
          zip_bytes(records(nested(lambda p: (p.s("config"), list_dag(p, 128, 5))))),
          expect=[413, 422], may_accept=True)

    c.add("pkl_memo_amplified_metadata.pt", 3,
          "Metadata {'notes': [s] * 4096} where s is one memoised 64 KiB string: a 72 KB file "
          "whose metadata renders as 256 MiB of JSON (the large set has the 4 MB, 1 GB "
          "version).",
          zip_bytes(records(nested(lambda p: (p.s("notes"), memo_amplified(p, 64 * 1024, 4096))))),
          expect=[413, 422], may_accept=True)

    c.add("pkl_long4_numel_30kb.pt", 4,
          "The storage persistent id's numel is a LONG4 of 30,000 bytes (72,000 decimal digits): "
          "converting it to decimal is superlinear and today's error detail prints all of it. "
          "The detail must stay short (the large set has the 3 MB version: 7.2 million digits).",
          zip_bytes(records(huge_numel_pickle(30_000))), expect=[413, 422])

    c.add("pkl_metadata_1445_digits.pt", 5,
          "Metadata {'seed': n} where n is a 1,445-digit integer (LONG4 of 600 bytes): stored as "
          "metadata JSON that Jackson later refuses to read back (numbers over 1,000 digits). "
          "Refuse it, or store it in a form the API can return.",
          zip_bytes(records(nested(lambda p: (p.s("seed"), p.raw(long4(600, 5)))))),
          expect=[413, 422], may_accept=True)

    c.add("pkl_key_nul.pt", 5,
          "A state-dict key containing U+0000 ('weight\\x00evil'): PostgreSQL refuses 0x00 in "
          "text, so today the insert fails with a 500.",
          zip_bytes(records(state_dict(("weight\x00evil", lambda p: p.tensor("st0"))).bytes())),
          expect=REFUSED)

    c.add("pkl_metadata_string_nul.pt", 5,
          "Metadata {'note': 'a\\x00b'}: a string with U+0000 beside the state dict. Harmless if "
          "escaped; it must not reach PostgreSQL raw.",
          zip_bytes(records(nested(lambda p: (p.s("note"), p.s("a\x00b"))))),
          expect=REFUSED, may_accept=True)

    key = noise(11, 4096)
    c.add("pkl_key_4096.pt", 5,
          "A state-dict key of 4,096 incompressible characters (exactly maxKeyLength): the "
          "btree index on tensor keys refuses entries over 2,704 bytes, a 500 today. The key "
          "limit must fit the index.",
          zip_bytes(records(state_dict((key, lambda p: p.tensor("st0"))).bytes())),
          expect=[413, 422])

    c.add("pkl_keyhint_quadratic.pt", 4,
          "data.pkl pushes one allowed global (collections.OrderedDict) 400,000 times (DUP), then "
          "calls it 100,000 times (DUP, EMPTY_TUPLE, REDUCE, POP): each call's key hint scans the "
          "whole stack of globals, 4e10 steps from an 800 KB file; then an ordinary state dict "
          "follows, so a linear reader may accept the file.",
          zip_bytes(records(keyhint_quadratic(400_000, 100_000))),
          expect=[413, 422], may_accept=True)


# ---------------------------------------------------------------------------------------------
# safetensors (classes 5 and 6).

def safetensors_files(c):
    def st(header, data):
        text = header + " " * (-(8 + len(header.encode())) % 8)
        return safetensors(text, data)

    c.add("st_offset_negative_zero.safetensors", 6,
          "data_offsets [-0, 4]: JSON's negative zero is not an unsigned integer (the "
          "safetensors specification's u64; Rust's reader refuses it), today coerced to 0 and "
          "accepted.",
          st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-0,4]}}', bytes(4)), expect=[422])
    c.add("st_offset_fractional.safetensors", 6,
          "data_offsets [0, 4.0]: a fractional number where the specification wants an integer.",
          st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', bytes(4)), expect=[422])
    c.add("st_shape_fractional.safetensors", 6,
          "shape [1.5] with data_offsets [0, 4]: a fractional dimension must not be truncated to "
          "1.",
          st('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', bytes(4)), expect=[422])
    c.add("st_key_nul.safetensors", 5,
          "A tensor named \"a\\u0000b\" (U+0000 in a key): PostgreSQL refuses it, a 500 today.",
          st('{"a\\u0000b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
          expect=REFUSED)


# ---------------------------------------------------------------------------------------------
# JSON architectures (classes 5 and 6).

def json_files(c):
    def arch(name, cls, attack, entries, expect=REFUSED, doc_name=None):
        c.add(name, cls, attack, arch_json(doc_name or "hostile-" + name, entries),
              endpoint="architectures", content_type=JSON, expect=expect)

    arch("arch_init_infinity.json", 6,
         "An init parameter written as the number 1e999: Jackson reads it as +Infinity and "
         "today stores constant(+Infinity). Init parameters must be finite.",
         [arch_entry("w", init={"scheme": "constant", "value": 1e999})])
    arch("arch_init_negative_infinity.json", 6,
         "uniform(a=-1e999, b=0): a is read as -Infinity, which passes 'a <= b'.",
         [arch_entry("w", init={"scheme": "uniform", "a": -1e999, "b": 0})])
    arch("arch_2pow62_elements.json", 6,
         "One entry of shape [2^31, 2^31]: 2^62 elements, accepted today although no file "
         "could hold it (maxTotalNumel is 2^40).",
         [arch_entry("w", shape=(1 << 31, 1 << 31), init={"scheme": "zeros"})],
         expect=LIMIT_OR_REFUSED)
    arch("arch_numel_sum_overflow.json", 5,
         "Three entries of 2^62 elements each: their sum overflows 64 bits, and Math.addExact in "
         "ArchitectureService.save throws, a 500 today.",
         [arch_entry("w%d" % i, shape=(1 << 31, 1 << 31), init={"scheme": "zeros"})
          for i in range(3)],
         expect=LIMIT_OR_REFUSED)
    arch("arch_key_64k.json", 6,
         "One key of 65,536 characters, 16 times the key-length limit files are held to (the "
         "large set has a 10 MB key).",
         [arch_entry(noise(13, 65536), init={"scheme": "zeros"})], expect=LIMIT_OR_REFUSED)
    arch("arch_shape_fractional.json", 6,
         "shape [2.5, 3]: Jackson coerces 2.5 to 2 today. Shapes must be integers.",
         [arch_entry("w", init={"scheme": "zeros"})])
    arch("arch_shape_negative_zero.json", 6,
         "shape [-0, 3]: negative zero is accepted as 0 today. Shapes must be non-negative "
         "integers as written.",
         [arch_entry("w", init={"scheme": "zeros"})])
    arch("arch_name_nul.json", 5,
         "The architecture's name contains U+0000: PostgreSQL refuses it, a 500 today.",
         [arch_entry("w", init={"scheme": "zeros"})], doc_name="hostile\x00name")
    arch("arch_key_nul.json", 5,
         "An entry key contains U+0000: PostgreSQL refuses it, a 500 today.",
         [arch_entry("w\x00x", init={"scheme": "zeros"})])
    # json.dumps cannot write these two shapes; patch the text.
    for f, old, new in (("arch_shape_fractional.json", b'"shape":[2,2]', b'"shape":[2.5,3]'),
                        ("arch_shape_negative_zero.json", b'"shape":[2,2]', b'"shape":[-0,3]'),
                        ("arch_init_infinity.json", b"Infinity", b"1e999"),
                        ("arch_init_negative_infinity.json", b"-Infinity", b"-1e999")):
        rewrite(c, f, old, new)


def rewrite(c, name, old, new):
    path = os.path.join(c.outdir, name)
    with open(path, "rb") as fh:
        data = fh.read()
    assert data.count(old) == 1, (name, old)
    data = data.replace(old, new)
    with open(path, "wb") as fh:
        fh.write(data)
    for e in c.files:
        if e["file"] == name:
            e["bytes"] = len(data)
            e["sha256"] = hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Client-controlled text beside a valid file (class 5): the file is fine, the request is not.

def text_files(c):
    def valid(seed):
        # Unique bytes per entry, so no upload is answered as a duplicate of another.
        return st_file([("t%d.weight" % seed, [1.0, 2.0])])

    c.add("text_name_nul.safetensors", 5,
          "A valid file uploaded with name=hostile%00name: the NUL reaches PostgreSQL, a 500 "
          "today. Refuse it naming the field.",
          valid(1), query="name=hostile%00name")
    c.add("text_architecture_name_nul.safetensors", 5,
          "A valid architecture file uploaded with name=hostile%00name.",
          valid(2), endpoint="architectures", query="name=hostile%00name")
    c.add("text_idempotency_key_300.safetensors", 5,
          "A valid file uploaded with a 300-character Idempotency-Key: today the checkpoint is "
          "stored, then the key's insert fails and the answer is a 500. The key must be "
          "validated before anything is stored.",
          valid(3), headers={"Idempotency-Key": noise(17, 300)})

    nul_path = "model\x00evil"
    pkl = P().op(b"}").s(nul_path).op(b"}").s("weight").tensor("st0").op(b"s").op(b"s").stop()
    c.add("text_state_dict_path_nul.pt", 5,
          "A checkpoint whose state dict sits under the key 'model\\x00evil', uploaded with "
          "stateDictPath=model%00evil: the reader finds it and the path reaches PostgreSQL, a "
          "500 today.",
          zip_bytes(records(pkl.bytes())), query="name=hostile-sdp-nul&stateDictPath=model%00evil")

    long_path = noise(19, 1500)
    pkl = P().op(b"}").s(long_path).op(b"}").s("weight").tensor("st0").op(b"s").op(b"s").stop()
    c.add("text_state_dict_path_1500.pt", 5,
          "A checkpoint whose state dict sits under a 1,500-character key, uploaded with that "
          "stateDictPath: the column is varchar(1024), a 500 today.",
          zip_bytes(records(pkl.bytes())),
          query="name=hostile-sdp-1500&stateDictPath=" + long_path, expect=LIMIT_OR_REFUSED)


# ---------------------------------------------------------------------------------------------
# The large set.

def large_files(c):
    # 100 MB safetensors header: __metadata__ of \u escapes, each 6 bytes for one character.
    tensor = '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'
    head = '{"__metadata__":{"k":"'
    tail = '"},' + tensor + '}'
    budget = 100_000_000 - len(head) - len(tail)
    n = budget // 6
    header = head + "\\u0001" * n + tail
    header += " " * (100_000_000 - len(header))
    c.add("st_metadata_escapes_100mb.safetensors", 3,
          "A 100,000,000-byte safetensors header (the specification's maximum) whose "
          "__metadata__ value is 16.7 million \\u0001 escapes: one character each when parsed, "
          "six again when rendered back as JSON, so every copy of the metadata is 100 MB.",
          safetensors(header, bytes(4)), expect=[413, 422], may_accept=True)

    entries = ['{"key":"l%07d","dtype":"float32","shape":[1],"init":{"scheme":"zeros"}}' % i
               for i in range(1_000_000)]
    doc = ('{"name":"hostile-million","entries":[' + ",".join(entries) + "]}").encode()
    c.add("arch_million_entries.json", 3,
          "A %d MB JSON architecture with 1,000,000 entries: bound into records, validated and "
          "canonicalised whole in memory today. Over the file limit of 200,000 entries and any "
          "sane request size." % (len(doc) // 1_000_000),
          doc, endpoint="architectures", content_type=JSON, expect=LIMIT_OR_REFUSED)

    doc = ('{"name":"hostile-250k","entries":[' + ",".join(entries[:250_000]) + "]}").encode()
    c.add("arch_250k_entries.json", 6,
          "A JSON architecture with 250,000 entries, over the limit of 200,000 a file is held to.",
          doc, endpoint="architectures", content_type=JSON, expect=LIMIT_OR_REFUSED)
    del entries

    c.add("arch_key_10mb.json", 6,
          "One key of 10,000,000 characters.",
          arch_json("hostile-key-10mb", [arch_entry(noise(23, 10_000_000),
                                                    init={"scheme": "zeros"})]),
          endpoint="architectures", content_type=JSON, expect=LIMIT_OR_REFUSED)

    c.add("pkl_memo_amplified_4mb.pt", 3,
          "Metadata {'notes': [s] * 2,000,000} with s one memoised 512-character string: 4 MB of "
          "pickle, 1 GB of JSON when the metadata is rendered by copying.",
          zip_bytes(records(nested(lambda p: (p.s("notes"), memo_amplified(p, 512, 2_000_000))))),
          expect=[413, 422], may_accept=True)

    c.add("pkl_long4_numel_3mb.pt", 4,
          "The storage persistent id's numel is a LONG4 of 3,000,000 bytes: 7.2 million decimal "
          "digits, which today's error detail prints in full after a long conversion.",
          zip_bytes(records(huge_numel_pickle(3_000_000))), expect=[413, 422])


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # torch.jit prints class constants in set order, which string hashing randomises.
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, PYTHONHASHSEED="0"))
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    large = "--large" in sys.argv[1:]
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    if large:
        c = Corpus(outdir, "large")
        large_files(c)
    else:
        if torch is None:
            sys.exit("the small set's TorchScript archives need torch: run with /usr/bin/python3 "
                     "and Debian's python3-torch")
        c = Corpus(outdir, "small")
        text_files(c)
        json_files(c)
        safetensors_files(c)
        zip_files(c)
        pickle_files(c)
        torchscript_files(c)
    c.write_manifest()
    total = sum(f["bytes"] for f in c.files)
    print("wrote %d hostile inputs (%d bytes) to %s" % (len(c.files), total, outdir))


if __name__ == "__main__":
    main()
