package dev.graft.format.zip;

import dev.graft.format.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Lays out zip records the way torch's {@code PyTorchStreamWriter} (miniz) does, for the writers
 * that produce torch archives: the headers, 64-byte data alignment, data descriptors, the central
 * directory and the ZIP64 end records. The record data itself goes straight to the caller's output;
 * this class only writes what surrounds it, so records of any size stream through.
 *
 * <ul>
 *   <li>zero time and date, general-purpose flag bit 11 (UTF-8) and, for non-empty records, bit 3
 *       with a {@code PK\7\10} data descriptor after the data that carries the CRC-32; the local
 *       header's CRC and sizes are zero, as miniz writes them, so the output need not be seekable;
 *   <li>each record's data starts at a multiple of 64: the local header's extra field ends with
 *       torch's {@code FB} padding field filled with {@code Z};
 *   <li>ZIP64 as miniz does it: a record of 4 GiB or more, or one whose header lies at or beyond 4
 *       GiB, gets a ZIP64 extra field (local and central) with both sizes and, past 4 GiB, the
 *       header offset; 8-byte sizes in its data descriptor and {@code 0xFFFFFFFF} in the 32-bit
 *       fields; the ZIP64 end record and locator are always written before the end record, as torch
 *       does.
 * </ul>
 */
public final class TorchZipWriter {

  /** Where the bytes go; positions count from the output's first byte. */
  public interface Sink {
    /** Writes all of {@code buf}. */
    void emit(ByteBuffer buf) throws IOException;

    /** Offset of the next byte written. */
    long position();
  }

  /** The largest size or offset a record's 32-bit fields hold; past it records use ZIP64. */
  public static final long ZIP32_LIMIT = 0xffffffffL;

  private static final int STORED = 0;
  private static final int LOCAL_SIG = 0x04034b50;
  private static final int CENTRAL_SIG = 0x02014b50;
  private static final int DESCRIPTOR_SIG = 0x08074b50;
  private static final int ZIP64_EOCD_SIG = 0x06064b50;
  private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  private static final int EOCD_SIG = 0x06054b50;
  private static final int FLAG_DESCRIPTOR = 0x0008;
  private static final int FLAG_UTF8 = 0x0800;
  private static final int ALIGNMENT = 64;

  private final Sink sink;
  private final long zip64Threshold;
  private final List<Central> central = new ArrayList<>();
  private final CRC32 crc = new CRC32();
  private Central open;
  private Integer knownCrc;

  /**
   * A writer laying records out into {@code sink}.
   *
   * @param sink where the bytes go
   * @param zip64Threshold the size or offset from which records use ZIP64; {@link #ZIP32_LIMIT} but
   *     in tests
   */
  public TorchZipWriter(Sink sink, long zip64Threshold) {
    this.sink = sink;
    this.zip64Threshold = zip64Threshold;
  }

  /**
   * Starts a stored record whose CRC-32 is computed from what {@link #update} is given.
   *
   * @param fullName the record name with its root folder, e.g. {@code archive/data/0}
   * @param size the bytes the caller will write after this header
   */
  public void begin(String fullName, long size) throws IOException {
    begin(fullName, STORED, size, size);
    knownCrc = null;
  }

  /**
   * Starts a record copied as it is, compressed or not, whose CRC-32 is already known: the caller
   * writes exactly {@code compressedSize} raw bytes next, and {@link #update} is not needed.
   */
  public void beginCopy(String fullName, int method, long compressedSize, long size, int crc32)
      throws IOException {
    begin(fullName, method, compressedSize, size);
    knownCrc = crc32;
  }

  /** Counts a slice of a stored record's data into its CRC-32; the caller writes it. */
  public void update(ByteBuffer data) {
    crc.update(data.duplicate());
  }

  /** Writes a whole small stored record. */
  public void record(String fullName, byte[] data) throws IOException {
    begin(fullName, data.length);
    ByteBuffer buf = ByteBuffer.wrap(data);
    update(buf);
    sink.emit(buf);
    end();
  }

  private void begin(String fullName, int method, long compressedSize, long size)
      throws IOException {
    if (open != null) {
      throw new IllegalStateException("record " + open.nameString() + " is still open");
    }
    byte[] name = fullName.getBytes(StandardCharsets.UTF_8);
    long headerAt = sink.position();
    Central c = new Central(name, method, compressedSize, size, headerAt, zip64Threshold);
    byte[] zip64 = c.zip64Extra();
    // torch's getPadding: an FB field whose length brings the data to a multiple of 64.
    long dataAt = headerAt + 30 + name.length + zip64.length + 4;
    int padding = (int) ((ALIGNMENT - dataAt % ALIGNMENT) % ALIGNMENT);
    ByteBuffer h = le(30 + name.length + zip64.length + 4 + padding);
    h.putInt(LOCAL_SIG).putShort((short) c.versionNeeded()).putShort((short) c.flags());
    h.putShort((short) method);
    h.putShort((short) 0).putShort((short) 0); // time, date
    // CRC and sizes go in the data descriptor (bit 3); miniz leaves these zero.
    h.putInt(0).putInt(0).putInt(0);
    h.putShort((short) name.length).putShort((short) (zip64.length + 4 + padding));
    h.put(name).put(zip64);
    h.put((byte) 'F').put((byte) 'B').putShort((short) padding);
    while (h.hasRemaining()) {
      h.put((byte) 'Z');
    }
    sink.emit(h.flip());
    crc.reset();
    open = c;
  }

  /** Ends the open record with its data descriptor. */
  public void end() throws IOException {
    Central c = open;
    open = null;
    c.crc = knownCrc != null ? knownCrc : (int) crc.getValue();
    knownCrc = null;
    if (c.hasDescriptor()) {
      ByteBuffer d = le(c.zip64() ? 24 : 16);
      d.putInt(DESCRIPTOR_SIG).putInt(c.crc);
      if (c.zip64()) {
        d.putLong(c.compressedSize).putLong(c.size);
      } else {
        d.putInt((int) c.compressedSize).putInt((int) c.size);
      }
      sink.emit(d.flip());
    }
    central.add(c);
  }

  /** Writes the central directory and the end records. */
  public void finish() throws IOException {
    if (open != null) {
      throw new IllegalStateException("record " + open.nameString() + " is still open");
    }
    long cdOffset = sink.position();
    for (Central c : central) {
      sink.emit(c.centralHeader());
    }
    long cdSize = sink.position() - cdOffset;
    long zip64At = sink.position();
    long entries = central.size();
    ByteBuffer end = le(56 + 20 + 22);
    end.putInt(ZIP64_EOCD_SIG).putLong(44);
    // Version made by 3.30 (Unix) and needed 4.5 (ZIP64), as miniz writes them.
    end.putShort((short) 0x031e).putShort((short) 45);
    end.putInt(0).putInt(0).putLong(entries).putLong(entries).putLong(cdSize).putLong(cdOffset);
    end.putInt(ZIP64_LOCATOR_SIG).putInt(0).putLong(zip64At).putInt(1);
    end.putInt(EOCD_SIG).putShort((short) 0).putShort((short) 0);
    short entries16 = (short) Math.min(entries, 0xffff);
    end.putShort(entries16).putShort(entries16);
    // 0xFFFFFFFF sends readers to the ZIP64 record, as MZ_MIN(x, MZ_UINT32_MAX) does in miniz.
    end.putInt(cdSize >= zip64Threshold ? -1 : (int) cdSize);
    end.putInt(cdOffset >= zip64Threshold ? -1 : (int) cdOffset);
    end.putShort((short) 0);
    sink.emit(end.flip());
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** What the central directory needs to know of one record. */
  private static final class Central {
    final byte[] name;
    final int method;
    final long compressedSize;
    final long size;
    final long headerAt;
    final boolean farHeader;
    final boolean zip64;
    int crc;

    Central(byte[] name, int method, long compressedSize, long size, long headerAt, long limit) {
      this.name = name;
      this.method = method;
      this.compressedSize = compressedSize;
      this.size = size;
      this.headerAt = headerAt;
      this.farHeader = headerAt >= limit;
      this.zip64 = size >= limit || compressedSize >= limit || farHeader;
    }

    String nameString() {
      return FormatException.quote(new String(name, StandardCharsets.UTF_8));
    }

    boolean zip64() {
      return zip64;
    }

    boolean hasDescriptor() {
      // miniz uses a data descriptor only for records with data.
      return compressedSize > 0 || size > 0;
    }

    int flags() {
      return hasDescriptor() ? FLAG_UTF8 | FLAG_DESCRIPTOR : FLAG_UTF8;
    }

    int versionNeeded() {
      // Stored records keep miniz's 0; a copied deflate record says 2.0, which deflate needs.
      return method == STORED ? 0 : 20;
    }

    /**
     * The ZIP64 extra field: both sizes, then the header offset when it does not fit. miniz writes
     * only the offset for a small record past 4 GiB, but its reader (torch 1.13's) refuses a ZIP64
     * field shorter than the two sizes, so the sizes always go in and their 32-bit fields say so.
     */
    byte[] zip64Extra() {
      if (!zip64()) {
        return new byte[0];
      }
      int len = 16 + (farHeader ? 8 : 0);
      ByteBuffer e = le(4 + len);
      e.putShort((short) 1).putShort((short) len);
      e.putLong(size).putLong(compressedSize);
      if (farHeader) {
        e.putLong(headerAt);
      }
      return e.array();
    }

    ByteBuffer centralHeader() {
      byte[] extra = zip64Extra();
      ByteBuffer h = le(46 + name.length + extra.length);
      h.putInt(CENTRAL_SIG).putShort((short) 0).putShort((short) versionNeeded());
      h.putShort((short) flags()).putShort((short) method).putShort((short) 0);
      h.putShort((short) 0);
      int csize32 = zip64() ? -1 : (int) compressedSize;
      int size32 = zip64() ? -1 : (int) size;
      h.putInt(crc).putInt(csize32).putInt(size32);
      h.putShort((short) name.length).putShort((short) extra.length).putShort((short) 0);
      h.putShort((short) 0).putShort((short) 0).putInt(0);
      h.putInt(farHeader ? -1 : (int) headerAt);
      h.put(name).put(extra);
      return h.flip();
    }
  }
}
