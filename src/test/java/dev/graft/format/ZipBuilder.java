package dev.graft.format;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Builds small zip archives byte by byte, the way torch writes them, with knobs to break them. */
public final class ZipBuilder {

  /** One record to write; the knobs default to what torch writes. */
  public static final class Entry {
    public final String name;
    public final byte[] data;
    public String localName;
    public int method = 0;
    public int flags = 0x808;
    public long declaredSize = -1;

    /** The compressed size the central directory declares; -1 for the declared size. */
    public long declaredCompressedSize = -1;

    /** The CRC-32 the headers declare; {@code null} for the data's own. */
    public Integer crc;

    /** Bytes written after the record's data descriptor, in the gap before the next record. */
    public byte[] after = new byte[0];

    public Entry(String name, byte[] data) {
      this.name = name;
      this.data = data;
      this.localName = name;
    }
  }

  private final List<Entry> entries = new ArrayList<>();
  private byte[] prefix = new byte[0];
  private boolean zip64;

  /** Adds a stored record. */
  public ZipBuilder add(String name, byte[] data) {
    entries.add(new Entry(name, data));
    return this;
  }

  /**
   * Adds a deflated record, as torch.jit.save writes code records: compressed size, content size
   * and CRC-32 of the content; break them with the entry's knobs.
   */
  public ZipBuilder addDeflated(String name, byte[] content) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(content);
    deflater.finish();
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (!deflater.finished()) {
      compressed.write(buf, 0, deflater.deflate(buf));
    }
    deflater.end();
    Entry e = new Entry(name, compressed.toByteArray());
    e.method = 8;
    e.declaredSize = content.length;
    e.declaredCompressedSize = e.data.length;
    CRC32 crc = new CRC32();
    crc.update(content);
    e.crc = (int) crc.getValue();
    entries.add(e);
    return this;
  }

  /** Adds a stored record holding a UTF-8 string. */
  public ZipBuilder add(String name, String data) {
    return add(name, data.getBytes(StandardCharsets.UTF_8));
  }

  /** The records added so far, to break them. */
  public List<Entry> entries() {
    return entries;
  }

  /** The last record added, to break it. */
  public Entry last() {
    return entries.get(entries.size() - 1);
  }

  /** Puts bytes before the first local header, as when a zip is appended to another file. */
  public ZipBuilder prefix(byte[] bytes) {
    this.prefix = bytes;
    return this;
  }

  /** Writes ZIP64 end records and extras, as torch does for files over 4 GB. */
  public ZipBuilder zip64() {
    this.zip64 = true;
    return this;
  }

  public byte[] build() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(prefix);
    List<Long> offsets = new ArrayList<>();
    for (Entry e : entries) {
      long at = out.size();
      offsets.add(at);
      byte[] name = e.localName.getBytes(StandardCharsets.UTF_8);
      // Pad the extra so data starts on a 64-byte boundary, like torch's writer.
      int base = 30 + name.length + 4;
      int pad = (int) ((64 - (at + base) % 64) % 64);
      ByteBuffer h = le(30 + name.length + 4 + pad);
      h.putInt(0x04034b50)
          .putShort((short) 20)
          .putShort((short) e.flags)
          .putShort((short) e.method);
      h.putInt(0).putInt(0).putInt(0).putInt(0);
      h.putShort((short) name.length).putShort((short) (4 + pad)).put(name);
      h.putShort((short) 0x4246).putShort((short) pad);
      while (h.hasRemaining()) {
        h.put((byte) 'Z');
      }
      out.writeBytes(h.array());
      out.writeBytes(e.data);
      ByteBuffer dd = le(16);
      dd.putInt(0x08074b50).putInt(crc(e)).putInt((int) csize(e)).putInt((int) size(e));
      out.writeBytes(dd.array());
      out.writeBytes(e.after);
    }
    long cdStart = out.size();
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
      long size = size(e);
      long csize = csize(e);
      int extraLen = zip64 ? 4 + 24 : 0;
      ByteBuffer c = le(46 + name.length + extraLen);
      c.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) e.flags);
      c.putShort((short) e.method).putInt(0).putInt(crc(e));
      if (zip64) {
        c.putInt(-1).putInt(-1);
      } else {
        c.putInt((int) csize).putInt((int) size);
      }
      c.putShort((short) name.length).putShort((short) extraLen).putShort((short) 0);
      c.putShort((short) 0).putShort((short) 0).putInt(0);
      c.putInt(zip64 ? -1 : (int) (long) offsets.get(i));
      c.put(name);
      if (zip64) {
        c.putShort((short) 1)
            .putShort((short) 24)
            .putLong(size)
            .putLong(csize)
            .putLong(offsets.get(i));
      }
      out.writeBytes(c.array());
    }
    long cdSize = out.size() - cdStart;
    if (zip64) {
      long recordAt = out.size();
      ByteBuffer r = le(56);
      r.putInt(0x06064b50)
          .putLong(44)
          .putShort((short) 45)
          .putShort((short) 45)
          .putInt(0)
          .putInt(0);
      r.putLong(entries.size()).putLong(entries.size()).putLong(cdSize).putLong(cdStart);
      out.writeBytes(r.array());
      ByteBuffer l = le(20);
      l.putInt(0x07064b50).putInt(0).putLong(recordAt).putInt(1);
      out.writeBytes(l.array());
    }
    ByteBuffer eocd = le(22);
    eocd.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
    short count = zip64 ? (short) -1 : (short) entries.size();
    eocd.putShort(count).putShort(count);
    eocd.putInt(zip64 ? -1 : (int) cdSize).putInt(zip64 ? -1 : (int) cdStart).putShort((short) 0);
    out.writeBytes(eocd.array());
    return out.toByteArray();
  }

  private static long size(Entry e) {
    return e.declaredSize >= 0 ? e.declaredSize : e.data.length;
  }

  private static long csize(Entry e) {
    return e.declaredCompressedSize >= 0 ? e.declaredCompressedSize : size(e);
  }

  private static int crc(Entry e) {
    if (e.crc != null) {
      return e.crc;
    }
    CRC32 crc = new CRC32();
    crc.update(e.data);
    return (int) crc.getValue();
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }
}
