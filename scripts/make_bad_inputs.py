#!/usr/bin/env python3
"""Writes a corpus of malicious and malformed checkpoint files plus OUTDIR/manifest.json.

Usage:  python3 scripts/make_bad_inputs.py OUTDIR [--selfcheck]

No torch is needed: zips are built byte by byte (scripts/tinyzip.py) and pickles opcode by opcode,
so that every file can lie exactly where intended. With --selfcheck (needs /usr/bin/python3 with
torch) the script first proves its builders produce what torch.load accepts, by loading a
well-formed file made with the same code.

The committed output lives in src/test/resources/bad-inputs/. manifest.json is
{"files": [{"file", "category", "kind", "detail", "why"}]}: `kind` is the FormatException kind a
reader must refuse the file with and `detail` a lowercase substring its message must contain (the
offending global as module.name, the entry, storage or tensor name, or a word such as duplicate,
gap, overlap, trailing). Storage keys and tensor keys are distinctive on purpose so that a message
naming them matches.

Every code-execution payload runs `touch /tmp/graft-pwned-<file>`, so a test can check that no
/tmp/graft-pwned* file ever appears. NEVER load these files with pickle or torch.load.
"""

import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tinyzip  # noqa: E402

ARCHIVE = "archive"
MARKER = "/tmp/graft-pwned"


class P:
    """A pickle written opcode by opcode (protocol 2 unless a test needs a later opcode)."""

    def __init__(self, proto=2):
        self.b = bytearray(b"\x80" + bytes([proto]))

    def raw(self, data):
        self.b += data
        return self

    def glob(self, module, name):
        self.b += b"c" + module.encode() + b"\n" + name.encode() + b"\n"
        return self

    def s(self, text):  # BINUNICODE
        data = text.encode("utf-8")
        self.b += b"X" + struct.pack("<I", len(data)) + data
        return self

    def i(self, n):
        if 0 <= n < 256:
            self.b += b"K" + bytes([n])
        elif -2**31 <= n < 2**31:
            self.b += b"J" + struct.pack("<i", n)
        else:  # LONG1
            data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
            self.b += b"\x8a" + bytes([len(data)]) + data
        return self

    def op(self, code):
        self.b += code
        return self

    def mark(self):
        return self.op(b"(")

    def tuple(self):
        return self.op(b"t")

    def ints_tuple(self, values):
        self.mark()
        for v in values:
            self.i(v)
        return self.tuple()

    def false(self):
        return self.op(b"\x89")

    def reduce(self):
        return self.op(b"R")

    def stop(self):
        return self.op(b".")

    def storage(self, key, storage_class="FloatStorage", numel=6):
        """The persistent id torch.save writes: ('storage', torch.XStorage, key, 'cpu', numel)."""
        self.mark().s("storage").glob("torch", storage_class).s(key).s("cpu").i(numel).tuple()
        return self.op(b"Q")  # BINPERSID

    def tensor(self, key, size=(2, 3), stride=(3, 1), offset=0, storage_class="FloatStorage",
               numel=6, hooks=None):
        """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)."""
        self.glob("torch._utils", "_rebuild_tensor_v2").mark()
        self.storage(key, storage_class, numel).i(offset).ints_tuple(size).ints_tuple(stride).false()
        if hooks is None:
            self.glob("collections", "OrderedDict").op(b")").reduce()
        else:
            hooks(self)
        return self.tuple().reduce()

    def bytes(self):
        return bytes(self.b)


def state_dict(*items):
    """{key: tensor-building-function(p)} as a dict pickle."""
    p = P().op(b"}").mark()
    for key, build in items:
        p.s(key)
        build(p)
    return p.op(b"u").stop()


def payload(p, name):
    """Pushes `os.system('touch /tmp/graft-pwned-<name>')` via posix.system and REDUCE."""
    return p.glob("posix", "system").s("touch %s-%s" % (MARKER, name)).op(b"\x85").reduce()


def torch_zip(pkl, records=None, extra=None, order=None):
    """A torch.save-style archive: data.pkl, data/<key> records, version."""
    entries = [{"name": ARCHIVE + "/data.pkl", "data": pkl}]
    for key, data in (records or {}).items():
        entries.append({"name": ARCHIVE + "/data/" + key, "data": data})
    entries.append({"name": ARCHIVE + "/version", "data": b"3\n"})
    for e in extra or []:
        entries.append(e)
    return tinyzip.build_zip(entries)


F6 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)


def safetensors(header, data, length=None):
    h = header.encode("utf-8") if isinstance(header, str) else header
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


class Corpus:
    def __init__(self, outdir):
        self.outdir = outdir
        self.files = []

    def add(self, name, category, kind, detail, why, data):
        assert detail == detail.lower(), detail
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(data)
        self.files.append({"file": name, "category": category, "kind": kind, "detail": detail,
                           "why": why})


def code_execution(c):
    cat = "pickle-code-execution"

    def simple(name, module, fn, why):
        p = P().glob(module, fn).s("touch %s-%s" % (MARKER, name)).op(b"\x85").reduce().stop()
        c.add(name, cat, "UNSAFE", (module + "." + fn).lower(), why, torch_zip(p.bytes()))

    simple("posix_system.pt", "posix", "system", "GLOBAL posix.system + REDUCE runs a shell command")
    simple("os_system.pt", "os", "system", "GLOBAL os.system + REDUCE")
    simple("builtins_eval.pt", "builtins", "eval", "GLOBAL builtins.eval on a python expression")
    simple("builtins_exec.pt", "builtins", "exec", "GLOBAL builtins.exec on python source")

    # getattr(__import__('os'), 'system')('touch ...')
    p = (P().glob("builtins", "getattr").glob("builtins", "__import__").s("os").op(b"\x85").reduce()
         .s("system").op(b"\x86").reduce().s("touch %s-builtins_getattr.pt" % MARKER).op(b"\x85")
         .reduce().stop())
    c.add("builtins_getattr.pt", cat, "UNSAFE", "builtins.getattr",
          "builtins.getattr(builtins.__import__('os'), 'system')(...)", torch_zip(p.bytes()))

    # Protocol 4 STACK_GLOBAL: module and name come from the stack, not from the opcode.
    p = (P(proto=4).s("posix").s("system").op(b"\x93").s("touch %s-stack_global.pt" % MARKER)
         .op(b"\x85").reduce().stop())
    c.add("stack_global.pt", cat, "UNSAFE", "posix.system",
          "STACK_GLOBAL resolving posix.system", torch_zip(p.bytes()))

    # INST: MARK args INST module\nname\n -- instantiates the class with the marked args.
    p = (P().mark().s("touch %s-inst.pt" % MARKER).op(b"i").raw(b"subprocess\nPopen\n").stop())
    c.add("inst_popen.pt", cat, "UNSAFE", "inst", "INST subprocess.Popen (the opcode is refused)",
          torch_zip(p.bytes()))

    # OBJ: MARK class args OBJ
    p = P().mark().glob("subprocess", "Popen").s("touch %s-obj.pt" % MARKER).op(b"o").stop()
    c.add("obj_popen.pt", cat, "UNSAFE", "subprocess.popen", "OBJ on subprocess.Popen",
          torch_zip(p.bytes()))

    # EXT1: an object from the copyreg extension registry; never valid in a checkpoint.
    p = P().op(b"\x82\x01").s("touch %s-ext1.pt" % MARKER).op(b"\x85").reduce().stop()
    c.add("ext1.pt", cat, "UNSAFE", "ext1", "EXT1 fetches a callable from the extension registry",
          torch_zip(p.bytes()))

    # NEWOBJ: cls.__new__(cls, *args)
    p = (P().glob("subprocess", "Popen").mark().s("touch %s-newobj.pt" % MARKER).tuple()
         .op(b"\x81").stop())
    c.add("newobj_popen.pt", cat, "UNSAFE", "subprocess.popen", "NEWOBJ on subprocess.Popen",
          torch_zip(p.bytes()))

    # BUILD on an object outside the allow-list (state set via __setstate__).
    p = (P().glob("subprocess", "Popen").op(b")").op(b"\x81").op(b"}").s("args").s("x")
         .op(b"s").op(b"b").stop())
    c.add("build_popen.pt", cat, "UNSAFE", "subprocess.popen", "BUILD on a subprocess.Popen",
          torch_zip(p.bytes()))

    # A normal-looking state dict whose tensor's backward_hooks argument runs the payload.
    pkl = state_dict(("w", lambda p: p.tensor("st0", hooks=lambda q: payload(q, "hooks.pt"))))
    c.add("payload_in_tensor_hooks.pt", cat, "UNSAFE", "posix.system",
          "posix.system call hidden in _rebuild_tensor_v2's backward_hooks argument",
          torch_zip(pkl.bytes(), {"st0": F6}))

    # Persistent ids that are not ('storage', ...) tuples.
    p = P().op(b"}").s("w").s("touch %s-persid.pt" % MARKER).op(b"Q").op(b"s").stop()
    c.add("persid_string.pt", cat, "UNSAFE", "persistent",
          "BINPERSID with a plain string: only storage tuples are allowed", torch_zip(p.bytes()))
    p = (P().op(b"}").s("w").mark().s("module").s("touch %s-persid2.pt" % MARKER).tuple()
         .op(b"Q").op(b"s").stop())
    c.add("persid_module_tuple.pt", cat, "UNSAFE", "persistent",
          "BINPERSID with a ('module', ...) tuple as TorchScript would use", torch_zip(p.bytes()))
    p = (P().op(b"}").s("w").mark().s("storage").glob("posix", "system").s("st0").s("cpu").i(6)
         .tuple().op(b"Q").op(b"s").stop())
    c.add("persid_storage_type_posix.pt", cat, "UNSAFE", "posix.system",
          "a storage tuple whose storage type is posix.system", torch_zip(p.bytes(), {"st0": F6}))

    p = P().glob("builtins", "open").s(MARKER).s("w").op(b"\x86").reduce().stop()
    c.add("builtins_open.pt", cat, "UNSAFE", "builtins.open", "GLOBAL builtins.open writes a file",
          torch_zip(p.bytes()))


def malformed_pickles(c):
    cat = "malformed-pickle"
    p = P().op(b"}").op(b"s").stop()
    c.add("stack_underflow.pt", cat, "MALFORMED", "stack", "SETITEM with one value on the stack",
          torch_zip(p.bytes()))
    p = P().op(b"}").s("w").op(b"h\x05").op(b"s").stop()
    c.add("memo_undefined.pt", cat, "MALFORMED", "memo", "BINGET of memo slot 5 never PUT",
          torch_zip(p.bytes()))
    p = P().op(b"}").s("w").raw(b"X" + struct.pack("<I", 1000) + b"short")
    c.add("truncated_string.pt", cat, "MALFORMED", "truncated",
          "BINUNICODE declares 1000 bytes, the pickle ends after 5", torch_zip(p.bytes()))
    p = P().op(b"}").raw(b"X" + struct.pack("<I", 4) + b"w\xff\xfex").s("y").op(b"s").stop()
    c.add("invalid_utf8.pt", cat, "MALFORMED", "utf-8", "BINUNICODE key holding invalid UTF-8",
          torch_zip(p.bytes()))
    p = (P().op(b"}").s("w").glob("torch._utils", "_rebuild_tensor_v2").mark().storage("st0")
         .i(0).s("abc").ints_tuple((3, 1)).false().glob("collections", "OrderedDict").op(b")")
         .reduce().tuple().reduce().op(b"s").stop())
    c.add("rebuild_wrong_args.pt", cat, "MALFORMED", "_rebuild_tensor_v2",
          "_rebuild_tensor_v2 given a string where the size tuple belongs",
          torch_zip(p.bytes(), {"st0": F6}))
    p = P().op(b"}").op(b"]").s("x").op(b"s").stop()
    c.add("list_as_dict_key.pt", cat, "MALFORMED", "key", "a list used as a dict key",
          torch_zip(p.bytes()))
    p = P().op(b"}").s("w").raw(b"X" + struct.pack("<I", 0xFFFFFFF0) + b"abc")
    c.add("huge_string_length.pt", cat, "LIMIT_EXCEEDED", "limit",
          "BINUNICODE declaring 4 GiB, past maxStringLength", torch_zip(p.bytes()))
    p = P().op(b"}").s("w").raw(b"B" + struct.pack("<i", 0x7FFFFFF0) + b"abc")
    c.add("huge_bytes_length.pt", cat, "LIMIT_EXCEEDED", "limit",
          "BINBYTES declaring 2 GiB, past maxStringLength", torch_zip(p.bytes()))
    p = P().op(b"]" * 10000).op(b"a" * 9999).stop()
    c.add("deep_nesting.pt", cat, "LIMIT_EXCEEDED", "deeper", "10,000 nested lists",
          torch_zip(p.bytes()))
    p = P().op(b"}").op(b"\xff").stop()
    c.add("unknown_opcode.pt", cat, "UNSAFE", "opcode",
          "opcode 0xff does not exist (refused like every opcode outside the allow-list)",
          torch_zip(p.bytes()))
    p = P().op(b"}").s("w").i(1).op(b"s")
    c.add("missing_stop.pt", cat, "MALFORMED", "stop", "the pickle ends without STOP",
          torch_zip(p.bytes()))


def good_state_dict():
    return state_dict(("weight", lambda p: p.tensor("st0"))).bytes()


def malformed_zips(c):
    cat = "malformed-zip"
    pkl = good_state_dict()
    base = [{"name": ARCHIVE + "/data.pkl", "data": pkl},
            {"name": ARCHIVE + "/data/st0", "data": F6},
            {"name": ARCHIVE + "/version", "data": b"3\n"}]

    def variant(name, kind, detail, why, change, **kw):
        entries = [dict(e) for e in base]
        change(entries)
        c.add(name, cat, kind, detail, why, tinyzip.build_zip(entries, **kw))

    variant("zip_duplicate_entry.pt", "UNSAFE", "archive/data.pkl",
            "archive/data.pkl twice (readers disagree on which copy wins)",
            lambda es: es.insert(1, {"name": ARCHIVE + "/data.pkl",
                                     "data": state_dict(("weight", lambda p: payload(p, "dup")))
                                     .bytes()}))
    variant("zip_name_mismatch.pt", "UNSAFE", "archive/data/st0",
            "local header says archive/evil/st0, central directory says archive/data/st0",
            lambda es: es[1].update(local_name=ARCHIVE + "/evil/st0"))
    variant("zip_dotdot_name.pt", "UNSAFE", "..", "an entry named archive/../../etc/cron.d/x",
            lambda es: es.append({"name": ARCHIVE + "/../../etc/cron.d/x", "data": b"x"}))
    variant("zip_absolute_name.pt", "UNSAFE", "/etc/passwd", "an entry named /etc/passwd",
            lambda es: es.append({"name": "/etc/passwd", "data": b"x"}))
    variant("zip_outside_root.pt", "UNSAFE", "other/data/st0",
            "a storage record outside the archive's root folder",
            lambda es: es.append({"name": "other/data/st0", "data": F6}))
    variant("zip_deflated_storage.pt", "UNSUPPORTED", "archive/data/st0",
            "the storage record is deflated; torch.save only stores",
            lambda es: es[1].update(method=8))
    variant("zip_encrypted.pt", "UNSAFE", "encrypt", "general-purpose flag bit 0 (encrypted)",
            lambda es: es[0].update(flags=1))
    variant("zip_central_offset_lies.pt", "MALFORMED", "archive/data/st0",
            "central directory points 3 bytes into the record's local header",
            lambda es: es[1].update(central_offset_delta=3))
    variant("zip_size_lies.pt", "MALFORMED", "archive/data/st0",
            "the storage record claims 1 MiB but holds 24 bytes",
            lambda es: es[1].update(size=1 << 20))
    # A pickle (with a payload) and a valid zip glued after it: zip tools that search for the end
    # record from the back accept this; Graft must not.
    glued = payload(P(), "glued.pt").stop().bytes() + tinyzip.build_zip(base)
    c.add("pickle_with_zip_appended.pt", cat, "UNSUPPORTED", "pickle",
          "a raw pickle followed by a complete zip archive: read as the bare pickle it starts with",
          glued)
    c.add("legacy_torch_format.pt", "unsupported", "UNSUPPORTED", "legacy",
          "the pre-1.6 torch.save format (pickled magic number first)",
          P().raw(b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19").stop().bytes())
    ts = [{"name": ARCHIVE + "/data.pkl", "data": pkl},
          {"name": ARCHIVE + "/constants.pkl", "data": P().op(b")").stop().bytes()},
          {"name": ARCHIVE + "/code/__torch__.py", "data": b"def forward(self):\n  pass\n"},
          {"name": ARCHIVE + "/data/st0", "data": F6},
          {"name": ARCHIVE + "/version", "data": b"3\n"}]
    c.add("torchscript_archive.pt", "unsupported", "UNSUPPORTED", "torchscript",
          "a TorchScript archive (constants.pkl, code/)", tinyzip.build_zip(ts))


def lying_storages(c):
    cat = "storage-lies"

    def one(name, detail, why, pkl, records, kind="MALFORMED"):
        c.add(name, cat, kind, detail, why, torch_zip(pkl.bytes(), records))

    one("storage_numel_larger.pt", "stbig", "declares 100 floats, the record holds 6",
        state_dict(("w", lambda p: p.tensor("stbig", numel=100, size=(10, 10), stride=(10, 1)))),
        {"stbig": F6})
    one("storage_numel_smaller.pt", "stsmall", "declares 2 floats, the record holds 6",
        state_dict(("w", lambda p: p.tensor("stsmall", numel=2, size=(2,), stride=(1,)))),
        {"stsmall": F6})
    one("tensor_offset_past_end.pt", "w_offset", "storage_offset 100 in a 6-element storage",
        state_dict(("w_offset", lambda p: p.tensor("st0", offset=100))), {"st0": F6})
    one("tensor_stride_past_end.pt", "w_stride", "stride (10, 1) reaches element 12 of 6",
        state_dict(("w_stride", lambda p: p.tensor("st0", stride=(10, 1)))), {"st0": F6})
    one("tensor_negative_size.pt", "w_negative", "size (-1, 3)",
        state_dict(("w_negative", lambda p: p.tensor("st0", size=(-1, 3)))), {"st0": F6})
    one("tensor_negative_stride.pt", "w_negstride", "stride (-3, 1)",
        state_dict(("w_negstride", lambda p: p.tensor("st0", stride=(-3, 1)))), {"st0": F6})
    one("tensor_overflowing_size.pt", "w_overflow", "size (2^32, 2^32): numel overflows 64 bits",
        state_dict(("w_overflow", lambda p: p.tensor("st0", size=(2**32, 2**32),
                                                     stride=(2**32, 1)))), {"st0": F6})
    one("storage_two_dtypes.pt", "sttwo",
        "one record referenced as FloatStorage and LongStorage (type confusion)",
        state_dict(("a", lambda p: p.tensor("sttwo")),
                   ("b", lambda p: p.tensor("sttwo", storage_class="LongStorage", numel=3,
                                            size=(3,), stride=(1,)))),
        {"sttwo": F6}, kind="UNSAFE")
    one("storage_missing_record.pt", "ghost", "references storage 'ghost' with no record",
        state_dict(("w", lambda p: p.tensor("ghost"))), {})
    one("storage_unknown_class.pt", "torch.evilstorage", "storage class torch.EvilStorage",
        state_dict(("w", lambda p: p.tensor("st0", storage_class="EvilStorage"))), {"st0": F6},
        kind="UNSAFE")


def bad_safetensors(c):
    cat = "bad-safetensors"
    t = '{"dtype":"F32","shape":[1],"data_offsets":[%d,%d]}'
    c.add("st_header_past_end.safetensors", cat, "MALFORMED", "header length",
          "header length 1000 in a 12-byte file", safetensors("{}", b"", length=1000)[:12])
    c.add("st_header_too_large.safetensors", cat, "LIMIT_EXCEEDED", "header length",
          "header length 100,000,001 (limit 100,000,000)",
          safetensors("{}", b"", length=100_000_001))
    c.add("st_gap.safetensors", cat, "MALFORMED", "gap", "4 unused bytes between two tensors",
          safetensors('{"a":%s,"b":%s}' % (t % (0, 4), t % (8, 12)), bytes(12)))
    c.add("st_overlap.safetensors", cat, "MALFORMED", "overlap", "two tensors share bytes 4..8",
          safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                      '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', bytes(12)))
    c.add("st_trailing.safetensors", cat, "MALFORMED", "trailing", "3 bytes after the last tensor",
          safetensors('{"a":%s}' % (t % (0, 4)), bytes(7)))
    c.add("st_unknown_dtype.safetensors", cat, "MALFORMED", "unknown dtype", "dtype F7",
          safetensors('{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}', bytes(4)))
    c.add("st_broken_json.safetensors", cat, "MALFORMED", "json", "the header ends mid-object",
          safetensors('{"a":{"dtype":"F32",', b""))
    c.add("st_duplicate_key.safetensors", cat, "MALFORMED", "duplicate", "tensor 'a' twice",
          safetensors('{"a":%s,"a":%s}' % (t % (0, 4), t % (0, 4)), bytes(4)))
    c.add("st_size_mismatch.safetensors", cat, "MALFORMED", "numel",
          "shape [2] of F32 needs 8 bytes, offsets give 4",
          safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', bytes(4)))
    c.add("st_metadata_not_string.safetensors", cat, "MALFORMED", "__metadata__",
          "__metadata__ value is a number",
          safetensors('{"__metadata__":{"epoch":3}}', b""))


def selfcheck():
    """Loads a well-formed archive built with the same helpers through torch, to prove they match
    what torch writes and reads."""
    import io
    import torch
    pkl = state_dict(("weight", lambda p: p.tensor("st0")),
                     ("view", lambda p: p.tensor("st0", size=(2,), stride=(2,), offset=1))).bytes()
    sd = torch.load(io.BytesIO(torch_zip(pkl, {"st0": F6})))
    assert sd["weight"].tolist() == [[1, 2, 3], [4, 5, 6]], sd
    assert sd["view"].tolist() == [2, 4], sd
    st = safetensors('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4))
    assert struct.unpack("<Q", st[:8])[0] == len(st) - 12
    print("selfcheck: builders produce what torch.load reads")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    if "--selfcheck" in sys.argv:
        selfcheck()
    os.makedirs(outdir, exist_ok=True)
    c = Corpus(outdir)
    code_execution(c)
    malformed_pickles(c)
    malformed_zips(c)
    lying_storages(c)
    bad_safetensors(c)
    names = [f["file"] for f in c.files]
    assert len(names) == len(set(names)), "duplicate file names"
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"generator": "scripts/make_bad_inputs.py", "marker": MARKER, "files": c.files},
                  f, indent=1)
        f.write("\n")
    print("wrote %d bad inputs to %s" % (len(c.files), outdir))


if __name__ == "__main__":
    main()
