"""A tiny ZIP writer for STORED archives, written out byte by byte so that a caller can make it lie.

Used by make_fixtures.py (to rewrite a torch zip as big-endian) and make_bad_inputs.py (to build
malformed archives). Only what torch.save produces is supported: no ZIP64, no data descriptors.
Storage records are aligned to 64 bytes with an extra field, as torch's PyTorchFileWriter does.
"""

import struct
import zlib

# Extra-field header id torch uses for alignment padding ("FB").
_PAD_ID = 0x4246


def build_zip(entries, align=64, trailer=b"", comment=b""):
    """Returns the bytes of a ZIP archive.

    entries: list of dicts with
      name          the entry name (str), used in both headers unless overridden
      data          the uncompressed bytes
      local_name    name written in the local header only (to make it differ from the central one)
      central_name  name written in the central directory only
      method        0 (stored, default) or 8 (deflated: data is compressed here)
      flags         general purpose flags (bit 0 = encrypted)
      crc           override the CRC-32
      size          override the size in both headers (both size fields for a stored entry)
      central_offset_delta  added to the local-header offset written in the central directory
    trailer: bytes appended after the end-of-central-directory record (e.g. to glue on junk)
    """
    out = bytearray()
    central = bytearray()
    for e in entries:
        data = e["data"]
        method = e.get("method", 0)
        if method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            payload = c.compress(data) + c.flush()
        else:
            payload = data
        crc = e.get("crc", zlib.crc32(data) & 0xFFFFFFFF)
        size = e.get("size", len(data))
        # A stored entry's sizes are equal; an overridden size lies in both fields.
        csize = size if method == 0 and "size" in e else len(payload)
        flags = e.get("flags", 0)
        lname = e.get("local_name", e["name"]).encode("utf-8")
        cname = e.get("central_name", e["name"]).encode("utf-8")
        offset = len(out)
        # Pad so that the payload starts on an `align` boundary, like torch does.
        header_len = 30 + len(lname)
        extra = b""
        if align and method == 0:
            pad = (-(offset + header_len + 4)) % align
            extra = struct.pack("<HH", _PAD_ID, pad) + b"Z" * pad
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, csize, size,
            len(lname), len(extra))
        out += lname + extra + payload
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc, csize,
            size, len(cname), 0, 0, 0, 0, 0, offset + e.get("central_offset_delta", 0))
        central += cname
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       cd_offset, len(comment))
    out += comment
    out += trailer
    return bytes(out)


def read_stored_zip(data):
    """Reads a well-formed archive's entries in central-directory order as [(name, bytes)]."""
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]
