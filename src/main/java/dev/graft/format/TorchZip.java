package dev.graft.format;

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
import java.util.Map;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The record table of a {@code torch.save} zip archive, read from its central directory and local
 * headers without {@code java.util.zip}, which cannot read torch's stored records with data
 * descriptors and resolves duplicate names differently from torch.
 *
 * <p>Opening an archive checks its whole structure: every name is safe and under one root folder,
 * names are unique and agree between local and central headers, no record is encrypted, and every
 * record's data lies inside the file, before the central directory and apart from the others.
 * Compression is left to the caller, which refuses it for the records it reads.
 */
public final class TorchZip {

  private static final int LOCAL_SIG = 0x04034b50;
  private static final int CENTRAL_SIG = 0x02014b50;
  private static final int LOCAL_LEN = 30;
  private static final int CENTRAL_LEN = 46;
  private static final int ZIP64_EXTRA = 0x0001;
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
    Map<String, TorchZipEntry> byName = new HashMap<>();
    String root = null;
    for (long i = 0; i < end.entries(); i++) {
      long at = end.directoryOffset() + cd.position();
      TorchZipEntry e = readCentral(ch, cd, at, end);
      if (byName.containsKey(e.name())) {
        throw FormatException.unsafe(
            "zip entry "
                + FormatException.quote(e.name())
                + " appears twice (at byte offset "
                + at
                + "); readers disagree on which copy counts");
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
    checkLayout(list, end);
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
   * {@code code/} records. The inflated size must be exactly the size the headers declare.
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
    if (entry.method() != 8) {
      throw FormatException.unsupported(
          who
              + " uses compression method "
              + entry.method()
              + "; only stored and deflate are read");
    }
    long cap = Math.min(maxBytes, Integer.MAX_VALUE - 8L);
    if (entry.size() > cap || entry.compressedSize() > cap) {
      throw FormatException.limit(
          who + " holds " + entry.size() + " bytes, more than the limit of " + maxBytes);
    }
    ByteBuffer compressed = ByteBuffer.allocate((int) entry.compressedSize());
    ChannelReads.readFully(ch, entry.dataOffset(), compressed, who);
    byte[] out = new byte[(int) entry.size()];
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(compressed.array());
      int n = 0;
      // The output buffer is exactly the declared size, so a stream that would inflate to more
      // stops here rather than allocating: a zip bomb costs at most maxBytes.
      while (n < out.length && !inflater.finished()) {
        int got = inflater.inflate(out, n, out.length - n);
        if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        n += got;
      }
      byte[] probe = new byte[1];
      boolean more = !inflater.finished() && inflater.inflate(probe) > 0;
      if (n != out.length || more || !inflater.finished()) {
        throw FormatException.malformed(
            who + " does not inflate to its declared " + entry.size() + " bytes");
      }
    } catch (DataFormatException e) {
      throw FormatException.malformed(who + " holds a corrupt deflate stream");
    } finally {
      inflater.end();
    }
    return out;
  }

  /**
   * Refuses a compressed record: its file bytes would not be the tensor bytes.
   *
   * @param entry the record to check
   * @throws FormatException UNSUPPORTED naming the entry and its offset
   */
  public static void requireStored(TorchZipEntry entry) throws FormatException {
    if (!entry.stored() || entry.compressedSize() != entry.size()) {
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

  private static TorchZipEntry readCentral(
      SeekableByteChannel ch, ByteBuffer cd, long at, ZipEndRecord end) throws IOException {
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
    long dataOffset = readLocal(ch, localOffset, rawName, name, method, end);
    TorchZipEntry e =
        new TorchZipEntry(name, method, flags, csize, usize, localOffset, dataOffset, crc);
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
              + dataOffset
              + ", "
              + csize
              + " bytes) runs into the central directory at byte offset "
              + end.directoryOffset());
    }
    return e;
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

  private static long readLocal(
      SeekableByteChannel ch,
      long localOffset,
      byte[] rawName,
      String name,
      int method,
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
    ByteBuffer h = ChannelReads.readAt(ch, localOffset, LOCAL_LEN, "zip local header");
    if (h.getInt(0) != LOCAL_SIG) {
      throw FormatException.malformed(
          "no zip local header for entry "
              + FormatException.quote(name)
              + " at byte offset "
              + localOffset);
    }
    int localFlags = h.getShort(6) & 0xffff;
    int localMethod = h.getShort(8) & 0xffff;
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
    long nameAt = localOffset + LOCAL_LEN;
    byte[] localName = new byte[nameLen];
    if (nameLen > 0) {
      ChannelReads.readFully(ch, nameAt, ByteBuffer.wrap(localName), "zip local header");
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
    return Math.addExact(Math.addExact(nameAt, nameLen), extraLen);
  }

  private static void checkLayout(List<TorchZipEntry> list, ZipEndRecord end)
      throws FormatException {
    List<TorchZipEntry> sorted = new ArrayList<>(list);
    sorted.sort(Comparator.comparingLong(TorchZipEntry::localHeaderOffset));
    TorchZipEntry first = sorted.get(0);
    if (first.localHeaderOffset() != 0) {
      throw FormatException.unsafe(
          "zip has "
              + first.localHeaderOffset()
              + " bytes of other data before its first entry "
              + FormatException.quote(first.name())
              + "; a file that is something else with a zip appended is refused");
    }
    for (int i = 1; i < sorted.size(); i++) {
      TorchZipEntry prev = sorted.get(i - 1);
      TorchZipEntry next = sorted.get(i);
      if (next.localHeaderOffset() < prev.dataEnd()) {
        throw FormatException.unsafe(
            "zip entry "
                + FormatException.quote(next.name())
                + " (at byte offset "
                + next.localHeaderOffset()
                + ") overlaps the data of entry "
                + FormatException.quote(prev.name()));
      }
    }
  }
}
