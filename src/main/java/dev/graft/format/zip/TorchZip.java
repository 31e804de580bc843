package dev.graft.format.zip;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.internal.ChannelReads;
import dev.graft.format.internal.ParseBudget;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The record table of a {@code torch.save} zip archive, read from its central directory and local
 * headers without {@code java.util.zip}, which cannot read torch's stored records with data
 * descriptors and resolves duplicate names differently from torch.
 *
 * <p>Opening an archive checks its whole structure, as strictly as the strictest reader: every name
 * is safe and under one root folder; names are unique even ignoring case (torch 1.13's miniz looks
 * names up case-insensitively, so {@code data.pkl} and {@code DATA.pkl} would let Graft and torch
 * read different records); names, method and flags agree between local and central headers; no
 * record is encrypted; a stored record's two sizes are equal; and the records tile the file
 * exactly: each local header, its extra field (well-formed blocks, such as torch's {@code FB}
 * alignment padding), its data and, when flag bit 3 says so, a signed data descriptor whose CRC-32
 * and sizes match the central directory (8-byte sizes when the local header has a ZIP64 field, as
 * miniz writes them), then the next record, and after the last one the central directory and the
 * end records, with no byte in between that no record accounts for. That is exactly what {@code
 * torch.save} and {@code torch.jit.save} (torch 1.13) write.
 *
 * <p>Contents are checked by {@link #verifyRecords}, which every reader's entry point calls: every
 * record's CRC-32, stored ones through a {@link RangeCrc}, deflated ones on their inflated bytes.
 * Compression is otherwise left to the caller, which refuses it for the records it reads.
 */
public final class TorchZip {

  private static final int LOCAL_SIG = 0x04034b50;
  private static final int CENTRAL_SIG = 0x02014b50;
  private static final int DESCRIPTOR_SIG = 0x08074b50;
  private static final int LOCAL_LEN = 30;
  private static final int CENTRAL_LEN = 46;
  private static final int ZIP64_EXTRA = 0x0001;
  private static final int FLAG_DESCRIPTOR = 0x0008;
  private static final int STORED = 0;
  private static final int DEFLATED = 8;
  private static final int CHUNK = 64 << 10;
  // A torch entry's central record is its name (root plus a short path) and a zip64 extra; this
  // bounds the directory buffer by the entry limit rather than by a size the file declares.
  private static final long MAX_CENTRAL_BYTES_PER_ENTRY = 1024;

  private final String root;
  private final List<TorchZipEntry> entries;
  private final Map<String, TorchZipEntry> byName;

  private TorchZip(String root, List<TorchZipEntry> entries, Map<String, TorchZipEntry> byName) {
    this.root = root;
    this.entries = entries;
    this.byName = byName;
  }

  /** A record as opened: its entry and where the bytes it accounts for end. */
  private record Opened(TorchZipEntry entry, long end) {}

  /**
   * Reads and checks an archive's record table.
   *
   * @param ch the whole file
   * @param limits supplies {@code maxZipEntries}
   * @return the archive's records
   * @throws FormatException when the structure is malformed or unsafe, naming the entry and offset
   * @throws IOException when the channel cannot be read
   */
  public static TorchZip open(SeekableByteChannel ch, ReadLimits limits) throws IOException {
    return open(ch, limits, ParseBudget.start(limits));
  }

  /**
   * Reads and checks an archive's record table as part of a parse, charging its budget per record.
   *
   * @param ch the whole file
   * @param limits supplies {@code maxZipEntries}
   * @param budget the parse's budget and deadline
   * @return the archive's records
   * @throws FormatException when the structure is malformed or unsafe, naming the entry and offset
   * @throws IOException when the channel cannot be read
   */
  public static TorchZip open(SeekableByteChannel ch, ReadLimits limits, ParseBudget budget)
      throws IOException {
    ZipEndRecord end = ZipEndRecord.read(ch);
    if (end.entries() > limits.maxZipEntries()) {
      throw FormatException.limit(
          "zip declares "
              + end.entries()
              + " entries, more than the limit of "
              + limits.maxZipEntries());
    }
    if (end.entries() == 0) {
      throw FormatException.malformed("zip archive has no entries");
    }
    long maxDirectory =
        Math.min(Integer.MAX_VALUE - 8L, end.entries() * MAX_CENTRAL_BYTES_PER_ENTRY);
    if (end.directorySize() > maxDirectory) {
      throw FormatException.limit(
          "zip central directory of "
              + end.directorySize()
              + " bytes is too large for "
              + end.entries()
              + " entries");
    }
    ByteBuffer cd =
        ChannelReads.readAt(
            ch, end.directoryOffset(), (int) end.directorySize(), "zip central directory");
    List<TorchZipEntry> list = new ArrayList<>((int) end.entries());
    List<Opened> opened = new ArrayList<>((int) end.entries());
    Map<String, TorchZipEntry> byName = new HashMap<>();
    Map<String, String> byFoldedName = new HashMap<>();
    String root = null;
    ChannelWindow window = new ChannelWindow(ch, CHUNK);
    for (long i = 0; i < end.entries(); i++) {
      budget.charge();
      long at = end.directoryOffset() + cd.position();
      Opened o = readCentral(window, cd, at, end);
      TorchZipEntry e = o.entry();
      if (byName.containsKey(e.name())) {
        throw FormatException.unsafe(
            "zip entry "
                + FormatException.quote(e.name())
                + " appears twice (at byte offset "
                + at
                + "); readers disagree on which copy counts");
      }
      String other = byFoldedName.putIfAbsent(e.name().toLowerCase(Locale.ROOT), e.name());
      if (other != null) {
        throw FormatException.unsafe(
            "zip entries "
                + FormatException.quote(other)
                + " and "
                + FormatException.quote(e.name())
                + " differ only in case (at byte offset "
                + at
                + "); torch looks names up ignoring case, so readers disagree on which one"
                + " counts");
      }
      String entryRoot = e.name().substring(0, Math.max(0, e.name().indexOf('/')));
      if (entryRoot.isEmpty()) {
        throw FormatException.unsafe(
            "zip entry "
                + FormatException.quote(e.name())
                + " is not inside a root folder (at byte offset "
                + at
                + ")");
      }
      if (root == null) {
        root = entryRoot;
      } else if (!root.equals(entryRoot)) {
        throw FormatException.unsafe(
            "zip entry "
                + FormatException.quote(e.name())
                + " is outside the archive's root folder "
                + FormatException.quote(root)
                + " (at byte offset "
                + at
                + ")");
      }
      byName.put(e.name(), e);
      list.add(e);
      opened.add(o);
    }
    if (cd.hasRemaining()) {
      // Readers that scan differently could find entries hidden there.
      throw FormatException.unsafe(
          "zip central directory has "
              + cd.remaining()
              + " bytes after its "
              + end.entries()
              + " declared entries");
    }
    checkLayout(opened, end);
    return new TorchZip(root, Collections.unmodifiableList(list), byName);
  }

  /** The archive's single root folder, e.g. {@code archive}. */
  public String root() {
    return root;
  }

  /** The records in central directory order. */
  public List<TorchZipEntry> entries() {
    return entries;
  }

  /** Finds a record by its name below the root, e.g. {@code data.pkl} or {@code data/0}. */
  public Optional<TorchZipEntry> find(String relativeName) {
    return Optional.ofNullable(byName.get(root + "/" + relativeName));
  }

  /**
   * Reads a stored record's bytes.
   *
   * @param ch the file the archive was opened from
   * @param entry one of this archive's records
   * @param maxBytes the largest record the caller accepts
   * @return the record's bytes
   * @throws FormatException when the record is compressed or larger than {@code maxBytes}
   * @throws IOException when the channel cannot be read
   */
  public byte[] readStored(SeekableByteChannel ch, TorchZipEntry entry, long maxBytes)
      throws IOException {
    requireStored(entry);
    if (entry.size() > maxBytes || entry.size() > Integer.MAX_VALUE - 8) {
      throw FormatException.limit(
          "zip entry "
              + FormatException.quote(entry.name())
              + " holds "
              + entry.size()
              + " bytes, more than the limit of "
              + maxBytes);
    }
    ByteBuffer buf = ByteBuffer.allocate((int) entry.size());
    ChannelReads.readFully(
        ch, entry.dataOffset(), buf, "zip entry " + FormatException.quote(entry.name()));
    return buf.array();
  }

  /**
   * Reads a record's content, inflating it if it is deflated; {@code torch.jit.save} deflates its
   * {@code code/} records. The inflated size must be exactly the size the headers declare, and the
   * output buffer grows with what the stream actually inflates to, never to a declared size up
   * front: a deflate bomb costs at most what it really inflates to, and never more than {@code
   * maxBytes}.
   *
   * @param ch the file the archive was opened from
   * @param entry one of this archive's records
   * @param maxBytes the largest content (and the largest compressed record) the caller accepts
   * @return the record's content
   * @throws FormatException LIMIT_EXCEEDED when the record is larger than {@code maxBytes},
   *     UNSUPPORTED for a compression method other than stored or deflate, MALFORMED when the
   *     deflate stream is corrupt or inflates to another size than declared
   * @throws IOException when the channel cannot be read
   */
  public byte[] readContent(SeekableByteChannel ch, TorchZipEntry entry, long maxBytes)
      throws IOException {
    if (entry.stored()) {
      return readStored(ch, entry, maxBytes);
    }
    String who = "zip entry " + FormatException.quote(entry.name());
    requireDeflated(entry);
    long cap = Math.min(maxBytes, Integer.MAX_VALUE - 8L);
    if (entry.size() > cap || entry.compressedSize() > cap) {
      throw FormatException.limit(
          who + " holds " + entry.size() + " bytes, more than the limit of " + maxBytes);
    }
    GrowingBuffer out = new GrowingBuffer(CHUNK, (int) entry.size());
    inflate(ch, entry, out, null);
    return out.toByteArray();
  }

  /**
   * Checks every record's content against the CRC-32 its headers declare: stored records through
   * {@code crcs} (which may answer from CRCs computed while the file was received), deflated ones
   * by inflating them in chunks, never whole. Stored records of any size stream; their check is
   * linear in the file's size and is left out of the parse's deadline, so a 100 GB checkpoint is
   * not refused for being large.
   *
   * @param ch the file the archive was opened from
   * @param crcs gives the CRC-32 of a byte range of {@code ch}
   * @param limits bounds compressed records: each inflates to at most {@code maxCodeRecordBytes},
   *     all together to at most {@code maxInflatedBytes}
   * @param budget the parse's budget, charged per compressed record and per inflated chunk
   * @throws FormatException MALFORMED naming the record and its offset when a CRC-32 does not match
   *     or a deflate stream is corrupt, UNSUPPORTED for a compression method other than stored or
   *     deflate, LIMIT_EXCEEDED past a limit
   * @throws IOException when the channel cannot be read
   */
  public void verifyRecords(
      SeekableByteChannel ch, RangeCrc crcs, ReadLimits limits, ParseBudget budget)
      throws IOException {
    // Compressed records first, under the budget and deadline; then stored ones, whose check is
    // linear in the file's size and is not charged, so that a large file is not refused for it.
    long inflated = 0;
    for (TorchZipEntry e : entries) {
      if (e.stored()) {
        continue;
      }
      budget.charge();
      requireDeflated(e);
      String who = "zip entry " + FormatException.quote(e.name());
      if (e.size() > limits.maxCodeRecordBytes()) {
        throw FormatException.limit(
            who
                + " is compressed and inflates to "
                + e.size()
                + " bytes, more than the limit of "
                + limits.maxCodeRecordBytes());
      }
      inflated += e.size();
      if (inflated > limits.maxInflatedBytes()) {
        throw FormatException.limit(
            "compressed zip records inflate to more than the limit of "
                + limits.maxInflatedBytes()
                + " bytes (at "
                + who
                + ")");
      }
      CRC32 crc = new CRC32();
      inflate(ch, e, crc::update, budget);
      checkCrc(e, (int) crc.getValue());
    }
    for (TorchZipEntry e : entries) {
      if (e.stored()) {
        checkCrc(e, crcs.crc32(e.dataOffset(), e.size()));
      }
    }
  }

  private static void checkCrc(TorchZipEntry e, int actual) throws FormatException {
    if (actual != e.crc()) {
      throw FormatException.malformed(
          "zip entry "
              + FormatException.quote(e.name())
              + " has CRC-32 "
              + String.format("%08x", actual)
              + " but its headers declare "
              + String.format("%08x", e.crc())
              + " (record at byte offset "
              + e.localHeaderOffset()
              + ")");
    }
  }

  private static void requireDeflated(TorchZipEntry entry) throws FormatException {
    if (entry.method() != DEFLATED) {
      throw FormatException.unsupported(
          "zip entry "
              + FormatException.quote(entry.name())
              + " uses compression method "
              + entry.method()
              + "; only stored and deflate are read");
    }
  }

  /** Where inflated bytes go. */
  @FunctionalInterface
  private interface Sink {
    void accept(byte[] b, int off, int len) throws FormatException;
  }

  /** A byte array that grows with what is written into it. */
  private static final class GrowingBuffer implements Sink {
    private final int max;
    private byte[] buf;
    private int size;

    GrowingBuffer(int initial, int max) {
      this.max = max;
      buf = new byte[Math.min(initial, max)];
    }

    @Override
    public void accept(byte[] b, int off, int len) {
      if (buf.length - size < len) {
        buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max(2L * buf.length, (long) size + len)));
      }
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    byte[] toByteArray() {
      return buf.length == size ? buf : Arrays.copyOf(buf, size);
    }
  }

  /**
   * Inflates a deflated record from the channel in chunks into {@code sink}: exactly its declared
   * size, ending exactly where its compressed bytes end.
   */
  private static void inflate(
      SeekableByteChannel ch, TorchZipEntry entry, Sink sink, ParseBudget budget)
      throws IOException {
    String who = "zip entry " + FormatException.quote(entry.name());
    Inflater inflater = new Inflater(true);
    byte[] in = new byte[(int) Math.min(CHUNK, Math.max(1, entry.compressedSize()))];
    byte[] out = new byte[CHUNK];
    long position = entry.dataOffset();
    long compressedLeft = entry.compressedSize();
    long produced = 0;
    try {
      while (!inflater.finished()) {
        if (inflater.needsInput()) {
          if (compressedLeft == 0) {
            break;
          }
          int n = (int) Math.min(in.length, compressedLeft);
          ChannelReads.readFully(ch, position, ByteBuffer.wrap(in, 0, n), who);
          position += n;
          compressedLeft -= n;
          inflater.setInput(in, 0, n);
        }
        int got = inflater.inflate(out);
        if (got == 0 && inflater.needsDictionary()) {
          throw FormatException.malformed(who + " holds a corrupt deflate stream");
        }
        produced += got;
        if (produced > entry.size()) {
          // Stop at the declared size: a stream that would inflate to more is refused here.
          break;
        }
        if (got > 0) {
          sink.accept(out, 0, got);
          if (budget != null) {
            budget.charge(1 + got / 1024);
          }
        }
      }
      if (!inflater.finished() || produced != entry.size()) {
        throw FormatException.malformed(
            who
                + " does not inflate to its declared "
                + entry.size()
                + " bytes (record at byte offset "
                + entry.localHeaderOffset()
                + ")");
      }
      if (inflater.getRemaining() > 0 || compressedLeft > 0) {
        throw FormatException.malformed(
            who
                + " has "
                + (inflater.getRemaining() + compressedLeft)
                + " bytes after the end of its deflate stream (record at byte offset "
                + entry.localHeaderOffset()
                + ")");
      }
    } catch (DataFormatException e) {
      throw FormatException.malformed(who + " holds a corrupt deflate stream");
    } finally {
      inflater.end();
    }
  }

  /**
   * Refuses a compressed record: its file bytes would not be the tensor bytes.
   *
   * @param entry the record to check
   * @throws FormatException UNSUPPORTED naming the entry and its offset
   */
  public static void requireStored(TorchZipEntry entry) throws FormatException {
    if (entry.stored() && entry.compressedSize() != entry.size()) {
      throw FormatException.malformed(
          "zip entry "
              + FormatException.quote(entry.name())
              + " is stored but declares "
              + entry.compressedSize()
              + " bytes in the file and "
              + entry.size()
              + " bytes of content (at byte offset "
              + entry.localHeaderOffset()
              + "); a stored record's sizes are equal");
    }
    if (!entry.stored()) {
      throw FormatException.unsupported(
          "zip entry "
              + FormatException.quote(entry.name())
              + " is compressed (method "
              + entry.method()
              + ", at byte offset "
              + entry.localHeaderOffset()
              + "); torch.save stores records uncompressed");
    }
  }

  private static Opened readCentral(ChannelWindow ch, ByteBuffer cd, long at, ZipEndRecord end)
      throws IOException {
    if (cd.remaining() < CENTRAL_LEN || cd.getInt(cd.position()) != CENTRAL_SIG) {
      throw FormatException.malformed("no zip central directory header at byte offset " + at);
    }
    int p = cd.position();
    int flags = cd.getShort(p + 8) & 0xffff;
    int method = cd.getShort(p + 10) & 0xffff;
    long csize = cd.getInt(p + 20) & 0xffffffffL;
    long usize = cd.getInt(p + 24) & 0xffffffffL;
    int nameLen = cd.getShort(p + 28) & 0xffff;
    int extraLen = cd.getShort(p + 30) & 0xffff;
    int commentLen = cd.getShort(p + 32) & 0xffff;
    int diskStart = cd.getShort(p + 34) & 0xffff;
    long localOffset = cd.getInt(p + 42) & 0xffffffffL;
    int crc = cd.getInt(p + 16);
    int total = CENTRAL_LEN + nameLen + extraLen + commentLen;
    if (cd.remaining() < total) {
      throw FormatException.malformed(
          "zip central directory header at byte offset " + at + " runs past the directory");
    }
    byte[] rawName = new byte[nameLen];
    cd.get(p + CENTRAL_LEN, rawName);
    String name = ZipNames.decode(rawName, at);
    ZipNames.check(name, at);
    ByteBuffer extra = cd.slice(p + CENTRAL_LEN + nameLen, extraLen).order(ByteOrder.LITTLE_ENDIAN);
    long[] z64 = zip64Fields(extra, usize, csize, localOffset, diskStart, name, at);
    usize = z64[0];
    csize = z64[1];
    localOffset = z64[2];
    if (z64[3] != 0) {
      throw FormatException.unsupported("multi-disk zip archives are not supported");
    }
    cd.position(p + total);
    if ((flags & 1) != 0 || (flags & 0x40) != 0) {
      throw FormatException.unsafe(
          "zip entry " + FormatException.quote(name) + " is encrypted (at byte offset " + at + ")");
    }
    if (method == STORED && csize != usize) {
      throw FormatException.malformed(
          "zip entry "
              + FormatException.quote(name)
              + " is stored but declares "
              + csize
              + " bytes in the file and "
              + usize
              + " bytes of content (at byte offset "
              + at
              + "); a stored record's sizes are equal");
    }
    Local local = readLocal(ch, localOffset, rawName, name, method, flags, crc, csize, usize, end);
    TorchZipEntry e =
        new TorchZipEntry(name, method, flags, csize, usize, localOffset, local.dataOffset(), crc);
    long dataEnd;
    try {
      dataEnd = e.dataEnd();
    } catch (ArithmeticException overflow) {
      dataEnd = Long.MAX_VALUE;
    }
    if (dataEnd > end.directoryOffset()) {
      throw FormatException.malformed(
          "zip entry "
              + FormatException.quote(name)
              + " data (byte offset "
              + local.dataOffset()
              + ", "
              + csize
              + " bytes) runs into the central directory at byte offset "
              + end.directoryOffset());
    }
    long recordEnd = dataEnd;
    if ((flags & FLAG_DESCRIPTOR) != 0) {
      recordEnd = readDescriptor(ch, e, local.zip64(), end);
    }
    return new Opened(e, recordEnd);
  }

  /** What a local header says beyond the central one. */
  private record Local(long dataOffset, boolean zip64) {}

  /**
   * Checks the data descriptor after a record's data (flag bit 3): signed, with the central CRC-32
   * and sizes, 8-byte sizes exactly when the local header has a ZIP64 field.
   *
   * @return the offset after the descriptor
   */
  private static long readDescriptor(
      ChannelWindow ch, TorchZipEntry e, boolean zip64, ZipEndRecord end) throws IOException {
    int len = zip64 ? 24 : 16;
    long at = e.dataEnd();
    if (at > end.directoryOffset() - len) {
      throw FormatException.malformed(
          "zip entry "
              + FormatException.quote(e.name())
              + " has no room for its data descriptor before the central directory (at byte offset "
              + at
              + ")");
    }
    ByteBuffer d = ch.read(at, len, "zip data descriptor");
    long csize = zip64 ? d.getLong(8) : d.getInt(8) & 0xffffffffL;
    long usize = zip64 ? d.getLong(16) : d.getInt(12) & 0xffffffffL;
    if (d.getInt(0) != DESCRIPTOR_SIG
        || d.getInt(4) != e.crc()
        || csize != e.compressedSize()
        || usize != e.size()) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(e.name())
              + " is not followed by a data descriptor matching its central directory entry (at"
              + " byte offset "
              + at
              + ")");
    }
    return at + len;
  }

  private static long[] zip64Fields(
      ByteBuffer extra, long usize, long csize, long localOffset, long disk, String name, long at)
      throws FormatException {
    long[] out = {usize, csize, localOffset, disk};
    boolean[] wanted = {
      usize == 0xffffffffL, csize == 0xffffffffL, localOffset == 0xffffffffL, disk == 0xffff
    };
    while (extra.remaining() >= 4) {
      int id = extra.getShort() & 0xffff;
      int len = extra.getShort() & 0xffff;
      if (len > extra.remaining()) {
        break;
      }
      if (id != ZIP64_EXTRA) {
        extra.position(extra.position() + len);
        continue;
      }
      ByteBuffer f = extra.slice(extra.position(), len).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 4; i++) {
        if (!wanted[i]) {
          continue;
        }
        int width = i == 3 ? 4 : 8;
        if (f.remaining() < width) {
          throw FormatException.malformed(
              "zip64 extra field of entry "
                  + FormatException.quote(name)
                  + " is too short (at byte offset "
                  + at
                  + ")");
        }
        out[i] = width == 8 ? f.getLong() : f.getInt() & 0xffffffffL;
        wanted[i] = false;
      }
      break;
    }
    for (int i = 0; i < 3; i++) {
      if (wanted[i]) {
        throw FormatException.malformed(
            "zip entry "
                + FormatException.quote(name)
                + " lacks its zip64 sizes (at byte offset "
                + at
                + ")");
      }
      if (out[i] < 0) {
        throw FormatException.malformed(
            "zip entry "
                + FormatException.quote(name)
                + " declares a size or offset over 2^63 (at byte offset "
                + at
                + ")");
      }
    }
    return out;
  }

  private static Local readLocal(
      ChannelWindow ch,
      long localOffset,
      byte[] rawName,
      String name,
      int method,
      int flags,
      int crc,
      long csize,
      long usize,
      ZipEndRecord end)
      throws IOException {
    if (localOffset > end.directoryOffset() - LOCAL_LEN) {
      throw FormatException.malformed(
          "zip entry "
              + FormatException.quote(name)
              + " has its local header at byte offset "
              + localOffset
              + ", outside the data area");
    }
    ByteBuffer h = ch.read(localOffset, LOCAL_LEN, "zip local header");
    if (h.getInt(0) != LOCAL_SIG) {
      throw FormatException.malformed(
          "no zip local header for entry "
              + FormatException.quote(name)
              + " at byte offset "
              + localOffset);
    }
    int localFlags = h.getShort(6) & 0xffff;
    int localMethod = h.getShort(8) & 0xffff;
    int localCrc = h.getInt(14);
    long localCsize = h.getInt(18) & 0xffffffffL;
    long localUsize = h.getInt(22) & 0xffffffffL;
    int nameLen = h.getShort(26) & 0xffff;
    int extraLen = h.getShort(28) & 0xffff;
    if ((localFlags & 1) != 0 || (localFlags & 0x40) != 0) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(name)
              + " is encrypted (at byte offset "
              + localOffset
              + ")");
    }
    if (localMethod != method) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(name)
              + " has a different compression method in its local header (at byte offset "
              + localOffset
              + ")");
    }
    if (localFlags != flags) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(name)
              + " has different flags in its local header (at byte offset "
              + localOffset
              + ")");
    }
    long nameAt = localOffset + LOCAL_LEN;
    byte[] localName = new byte[nameLen];
    if (nameLen > 0) {
      ch.copy(nameAt, localName, 0, nameLen, "zip local header");
    }
    if (!Arrays.equals(localName, rawName)) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(name)
              + " is named "
              + FormatException.quote(
                  new String(localName, java.nio.charset.StandardCharsets.UTF_8))
              + " in its local header (at byte offset "
              + localOffset
              + ")");
    }
    long extraAt = nameAt + nameLen;
    boolean zip64 = false;
    if (extraLen > 0) {
      ByteBuffer extra = ch.read(extraAt, extraLen, "zip local header");
      zip64 = checkExtra(extra, name, extraAt);
    }
    // With a data descriptor (bit 3) miniz leaves the local CRC and sizes zero; without one they
    // are the central values. ZIP64 puts 0xFFFFFFFF in the 32-bit size fields.
    boolean descriptor = (flags & FLAG_DESCRIPTOR) != 0;
    boolean sizesOk =
        localField(localCsize, csize, descriptor, zip64)
            && localField(localUsize, usize, descriptor, zip64);
    boolean crcOk = localCrc == crc || (descriptor && localCrc == 0);
    if (!sizesOk || !crcOk) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(name)
              + " has a CRC-32 or sizes in its local header that differ from its central"
              + " directory entry (at byte offset "
              + localOffset
              + ")");
    }
    return new Local(extraAt + extraLen, zip64);
  }

  private static boolean localField(long local, long central, boolean descriptor, boolean zip64) {
    return local == central
        || (descriptor && local == 0)
        || (zip64 && local == 0xffffffffL)
        || (central > 0xffffffffL && local == 0xffffffffL);
  }

  /**
   * Checks a local extra field is a sequence of whole blocks (id, length, data) that fills it
   * exactly, as torch's ZIP64 and {@code FB} padding blocks do.
   *
   * @return whether it holds a ZIP64 block
   */
  private static boolean checkExtra(ByteBuffer extra, String name, long at) throws FormatException {
    boolean zip64 = false;
    while (extra.hasRemaining()) {
      if (extra.remaining() < 4) {
        throw badExtra(name, at);
      }
      int id = extra.getShort() & 0xffff;
      int len = extra.getShort() & 0xffff;
      if (len > extra.remaining() || (id == ZIP64_EXTRA && zip64)) {
        throw badExtra(name, at);
      }
      zip64 |= id == ZIP64_EXTRA;
      extra.position(extra.position() + len);
    }
    return zip64;
  }

  private static FormatException badExtra(String name, long at) {
    return FormatException.malformed(
        "zip entry "
            + FormatException.quote(name)
            + " has a malformed extra field in its local header (at byte offset "
            + at
            + ")");
  }

  /**
   * Checks the records tile the data area exactly: the first at offset 0, each next one where the
   * bytes of the one before (header, data, descriptor) end, and the central directory right after
   * the last, so no byte can hide another record that a scanning reader would find.
   */
  private static void checkLayout(List<Opened> list, ZipEndRecord end) throws FormatException {
    List<Opened> sorted = new ArrayList<>(list);
    sorted.sort(Comparator.comparingLong(o -> o.entry().localHeaderOffset()));
    TorchZipEntry first = sorted.get(0).entry();
    if (first.localHeaderOffset() != 0) {
      throw FormatException.unsafe(
          "zip has "
              + first.localHeaderOffset()
              + " bytes of other data before its first entry "
              + FormatException.quote(first.name())
              + "; a file that is something else with a zip appended is refused");
    }
    for (int i = 1; i < sorted.size(); i++) {
      Opened prev = sorted.get(i - 1);
      TorchZipEntry next = sorted.get(i).entry();
      if (next.localHeaderOffset() < prev.end()) {
        throw FormatException.unsafe(
            "zip entry "
                + FormatException.quote(next.name())
                + " (at byte offset "
                + next.localHeaderOffset()
                + ") overlaps the data of entry "
                + FormatException.quote(prev.entry().name()));
      }
      if (next.localHeaderOffset() > prev.end()) {
        throw gap(prev, next.localHeaderOffset(), "entry " + FormatException.quote(next.name()));
      }
    }
    Opened last = sorted.get(sorted.size() - 1);
    if (last.end() != end.directoryOffset()) {
      throw gap(last, end.directoryOffset(), "the central directory");
    }
  }

  private static FormatException gap(Opened prev, long nextAt, String next) {
    return FormatException.unsafe(
        "zip has "
            + (nextAt - prev.end())
            + " bytes at byte offset "
            + prev.end()
            + " between entry "
            + FormatException.quote(prev.entry().name())
            + " and "
            + next
            + " that belong to no record; they could hide a record that other readers find");
  }
}
