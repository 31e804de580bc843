#!/usr/bin/env python3
"""Shows, and checks, the zip layout torch writes: what TorchZip accepts and nothing more.

Run with Debian's python3-torch (1.13): /usr/bin/python3 scripts/show_torch_zip_layout.py [FILE...]
Without arguments it writes a torch.save checkpoint (with an empty tensor) and a torch.jit.save
archive to a temporary folder and examines those. For every record it prints the flags, method,
local CRC/sizes, extra blocks and data descriptor, and it asserts the rules TorchZip enforces:

- records tile the file: each local header starts where the previous record's bytes end
  (header, name, extra, data, descriptor), the first at 0, the central directory right after the
  last, then the ZIP64 end record (size field 44), its locator and the end record, no comment;
- local and central flags and method agree; with flag bit 3 the local CRC and sizes are zero
  and a signed 16-byte data descriptor (24 with a local ZIP64 block) repeats the central values;
  records without data (empty tensors) have no bit 3 and no descriptor;
- the local extra field is whole blocks: torch's FB padding (filled with 'Z') so data starts on a
  multiple of 64, plus a ZIP64 block for records over 4 GiB or past 4 GiB;
- stored records' CRC-32 is over their bytes; deflated ones' (jit code) over the inflated bytes.
"""
import os
import struct
import sys
import tempfile
import zlib


def blocks(extra):
    out, at = [], 0
    while at < len(extra):
        assert at + 4 <= len(extra), "extra field ends inside a block header"
        bid, blen = struct.unpack("<HH", extra[at:at + 4])
        assert at + 4 + blen <= len(extra), "extra block runs past the field"
        out.append((bid, extra[at + 4:at + 4 + blen]))
        at += 4 + blen
    return out


def check(path):
    b = open(path, "rb").read()
    eocd = b.rfind(b"PK\x05\x06")
    count, cd_size, cd_off, comment = struct.unpack("<HIIH", b[eocd + 10:eocd + 22])
    assert comment == 0 and eocd + 22 == len(b)
    trailer = eocd
    loc = eocd - 20
    if b[loc:loc + 4] == b"PK\x06\x07":
        rec = struct.unpack("<Q", b[loc + 8:loc + 16])[0]
        assert b[rec:rec + 4] == b"PK\x06\x06" and struct.unpack("<Q", b[rec + 4:rec + 12])[0] == 44
        assert rec + 56 == loc
        count, cd_size, cd_off = struct.unpack("<QQQ", b[rec + 32:rec + 56])
        trailer = rec
    assert cd_off + cd_size == trailer, "bytes between the central directory and the end records"
    print(f"{path}: {count} records, central directory at {cd_off}")
    records, p = [], cd_off
    for _ in range(count):
        (flags, method, crc, csize, usize, nlen, elen, clen) = struct.unpack(
            "<HHxxxxIIIHHH", b[p + 8:p + 34])
        (lho,) = struct.unpack("<I", b[p + 42:p + 46])
        name = b[p + 46:p + 46 + nlen].decode()
        for bid, data in blocks(b[p + 46 + nlen:p + 46 + nlen + elen]):
            if bid == 1:  # ZIP64: sizes and offset as needed
                vals = list(struct.unpack("<" + "Q" * (len(data) // 8), data))
                if usize == 0xFFFFFFFF:
                    usize = vals.pop(0)
                if csize == 0xFFFFFFFF:
                    csize = vals.pop(0)
                if lho == 0xFFFFFFFF:
                    lho = vals.pop(0)
        records.append((lho, name, flags, method, crc, csize, usize))
        p += 46 + nlen + elen + clen
    expected = 0
    for lho, name, flags, method, crc, csize, usize in sorted(records):
        assert lho == expected, f"{name}: {lho - expected} bytes before its local header"
        (sig, _, lflags, lmethod, _, _, lcrc, lcs, lus, lnlen, lelen) = struct.unpack(
            "<IHHHHHIIIHH", b[lho:lho + 30])
        assert sig == 0x04034B50 and lflags == flags and lmethod == method
        ext = blocks(b[lho + 30 + lnlen:lho + 30 + lnlen + lelen])
        zip64 = any(bid == 1 for bid, _ in ext)
        for bid, data in ext:
            assert bid in (1, 0x4246), f"{name}: extra block {bid:#x}"
            if bid == 0x4246:
                assert set(data) <= {ord("Z")}, f"{name}: FB padding is not all 'Z'"
        start = lho + 30 + lnlen + lelen
        assert start % 64 == 0, f"{name}: data not 64-byte aligned"
        data = b[start:start + csize]
        content = zlib.decompress(data, -15) if method == 8 else data
        assert len(content) == usize and zlib.crc32(content) & 0xFFFFFFFF == crc, name
        end = start + csize
        if flags & 8:
            assert (lcrc, lcs, lus) == (0, 0, 0), f"{name}: local CRC/sizes with bit 3"
            if zip64:
                d = struct.unpack("<IIQQ", b[end:end + 24])
                end += 24
            else:
                d = struct.unpack("<IIII", b[end:end + 16])
                end += 16
            assert d == (0x08074B50, crc, csize, usize), f"{name}: descriptor {d}"
        else:
            assert usize == 0, f"{name}: data without a descriptor"
        ext_names = ",".join("FB" if bid == 0x4246 else "ZIP64" for bid, _ in ext)
        print(f"  {name}: flags {flags:#06x} method {method} {csize}/{usize} bytes, extra [{ext_names}]"
              f", descriptor {end - start - csize} bytes")
        expected = end
    assert expected == cd_off, f"{cd_off - expected} bytes before the central directory"


def samples(folder):
    import torch
    ckpt = os.path.join(folder, "checkpoint.pt")
    torch.save({"w": torch.ones(3), "empty": torch.zeros(0), "n": torch.tensor(7)}, ckpt)
    jit = os.path.join(folder, "module.pt")
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    torch.jit.save(torch.jit.script(model), jit)
    return [ckpt, jit]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for f in sys.argv[1:] or samples(tmp):
            check(f)
    print("every record follows the layout TorchZip accepts")
