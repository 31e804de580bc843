package dev.graft.format.torchscript;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.internal.ChannelReads;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import dev.graft.format.zip.TorchZipWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a TorchScript archive again with its state-dict values replaced: the same records in the
 * same order under the same names (code, constants, debug info, version), where each storage record
 * that a state-dict key views holds the new values, so {@code torch.jit.load} gives the original
 * module with the new weights.
 *
 * <p>The output streams record by record and memory does not grow with the model: a record's
 * original bytes are read in chunks and each viewing key's region overwritten on the way out. Keys
 * are applied in state-dict order, so where several keys view the same elements (tied weights) the
 * later key wins, as {@code load_state_dict} copies in order. A record viewed by a non-contiguous
 * key is the exception: it is gathered in memory to scatter the elements, so it costs its own size.
 *
 * <p>Records no key views, and every other record, are copied byte for byte with their compression
 * method, sizes and CRC-32; rewritten records get a fresh CRC-32. The zip framing is Graft's torch
 * layout ({@link TorchZipWriter}): 64-byte aligned data, data descriptors, ZIP64 end records.
 */
public final class TorchScriptRewriter {

  private static final int CHUNK = 1 << 20;

  private TorchScriptRewriter() {}

  /**
   * Supplies the new value of each state-dict key. It is asked once per key, when the key's storage
   * record is written, which follows the archive's record order rather than state-dict order.
   */
  @FunctionalInterface
  public interface ValueSource {
    /**
     * The key's new elements: contiguous, row-major, little-endian, exactly the entry's dtype and
     * shape; read from its position to its limit and not modified.
     *
     * @param key a state-dict key of the index
     * @return the bytes, or {@code null} when there is no value for the key (refused)
     * @throws IOException when the value cannot be produced
     */
    ByteBuffer valueOf(String key) throws IOException;
  }

  /**
   * Copies a TorchScript archive to {@code out} with every state-dict tensor's values replaced.
   *
   * @param archive the archive {@code index} was read from
   * @param index the archive's state-dict layout, from {@link TorchScriptReader#read}
   * @param values the new values, asked for once per key
   * @param out where the new archive goes, from its first byte; not closed
   * @param limits the limits for reading the archive's record table
   * @throws IllegalArgumentException naming the key when a value is missing or not exactly the
   *     entry's byte count, or when the index does not describe this archive; output already
   *     written is then unusable
   * @throws FormatException when the archive's structure is malformed
   * @throws IOException when a channel cannot be read or written
   */
  public static void rewrite(
      SeekableByteChannel archive,
      TorchScriptIndex index,
      ValueSource values,
      WritableByteChannel out,
      ReadLimits limits)
      throws IOException {
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(out, "out");
    TorchZip zip = TorchZip.open(archive, limits);
    Map<String, List<TensorInfo>> viewsByRecord = viewsByRecord(zip, index);
    CountingSink sink = new CountingSink(out);
    TorchZipWriter writer = new TorchZipWriter(sink, TorchZipWriter.ZIP32_LIMIT);
    for (TorchZipEntry e : zip.entries()) {
      List<TensorInfo> views = viewsByRecord.get(e.name());
      if (views == null) {
        copy(archive, e, writer, sink);
      } else {
        replace(archive, e, views, values, writer, sink);
      }
    }
    writer.finish();
  }

  /** Groups the index's tensors by the record they view, checking they belong to this archive. */
  private static Map<String, List<TensorInfo>> viewsByRecord(TorchZip zip, TorchScriptIndex index) {
    Map<String, List<TensorInfo>> byRecord = new HashMap<>();
    Set<String> keys = new HashSet<>();
    for (TensorInfo t : index.tensors()) {
      if (!keys.add(t.key())) {
        throw new IllegalArgumentException(
            "key " + FormatException.quote(t.key()) + " appears twice in the index");
      }
      TorchZipEntry record = zip.find(t.storageKey()).orElse(null);
      // The index is trusted for where values go, so it must be this archive's: a stale index
      // would overwrite the wrong bytes.
      if (record == null
          || !record.stored()
          || record.dataOffset() != t.storageDataOffset()
          || record.size() != t.storageBytes()) {
        throw new IllegalArgumentException(
            "the index does not describe this archive: key "
                + FormatException.quote(t.key())
                + " views record "
                + FormatException.quote(t.storageKey())
                + " of "
                + t.storageBytes()
                + " bytes at byte offset "
                + t.storageDataOffset()
                + ", which the archive does not hold");
      }
      byRecord.computeIfAbsent(record.name(), n -> new ArrayList<>()).add(t);
    }
    return byRecord;
  }

  /** Copies a record's raw bytes, compressed or not, with its own sizes and CRC-32. */
  private static void copy(
      SeekableByteChannel archive, TorchZipEntry e, TorchZipWriter writer, CountingSink sink)
      throws IOException {
    writer.beginCopy(e.name(), e.method(), e.compressedSize(), e.size(), e.crc());
    long position = e.dataOffset();
    long remaining = e.compressedSize();
    String who = "zip entry " + FormatException.quote(e.name());
    while (remaining > 0) {
      int n = (int) Math.min(CHUNK, remaining);
      ByteBuffer buf = ByteBuffer.allocate(n);
      ChannelReads.readFully(archive, position, buf, who);
      sink.emit(buf.flip());
      position += n;
      remaining -= n;
    }
    writer.end();
  }

  /** Writes a storage record with its viewing keys' new values laid over its original bytes. */
  private static void replace(
      SeekableByteChannel archive,
      TorchZipEntry e,
      List<TensorInfo> views,
      ValueSource values,
      TorchZipWriter writer,
      CountingSink sink)
      throws IOException {
    List<ByteBuffer> news = new ArrayList<>(views.size());
    boolean allContiguous = true;
    for (TensorInfo t : views) {
      news.add(valueOf(values, t));
      allContiguous &= t.contiguous();
    }
    String who = "zip entry " + FormatException.quote(e.name());
    writer.begin(e.name(), e.size());
    if (allContiguous) {
      long size = e.size();
      for (long pos = 0; pos < size; pos += CHUNK) {
        int n = (int) Math.min(CHUNK, size - pos);
        ByteBuffer chunk = ByteBuffer.allocate(n);
        ChannelReads.readFully(archive, e.dataOffset() + pos, chunk, who);
        for (int i = 0; i < views.size(); i++) {
          overlay(views.get(i), news.get(i), chunk.array(), pos);
        }
        chunk.flip();
        writer.update(chunk);
        sink.emit(chunk);
      }
    } else {
      // A strided view's elements need not rise with its row-major order (a transpose), so its
      // record is laid out whole; such views are rare in a state dict.
      if (e.size() > Integer.MAX_VALUE - 8) {
        throw FormatException.limit(
            "storage record "
                + FormatException.quote(e.name())
                + " of "
                + e.size()
                + " bytes is viewed by a non-contiguous tensor and too large to rewrite in"
                + " memory");
      }
      byte[] record = new byte[(int) e.size()];
      ChannelReads.readFully(archive, e.dataOffset(), ByteBuffer.wrap(record), who);
      for (int i = 0; i < views.size(); i++) {
        TensorInfo t = views.get(i);
        if (t.contiguous()) {
          overlay(t, news.get(i), record, 0);
        } else {
          scatter(t, news.get(i), record);
        }
      }
      ByteBuffer buf = ByteBuffer.wrap(record);
      writer.update(buf);
      sink.emit(buf);
    }
    writer.end();
  }

  /** Asks for a key's value and checks its size; swaps it when the archive is big-endian. */
  private static ByteBuffer valueOf(ValueSource values, TensorInfo t) throws IOException {
    ByteBuffer v = values.valueOf(t.key());
    if (v == null) {
      throw new IllegalArgumentException("no new value for key " + FormatException.quote(t.key()));
    }
    if (v.remaining() != t.sizeBytes()) {
      throw new IllegalArgumentException(
          "new value for key "
              + FormatException.quote(t.key())
              + " of "
              + t.dtype().torchName()
              + " "
              + t.shape()
              + " must be exactly "
              + t.sizeBytes()
              + " bytes but has "
              + v.remaining());
    }
    if (t.byteOrder() == ByteOrder.BIG_ENDIAN) {
      byte[] swapped = new byte[v.remaining()];
      v.duplicate().get(swapped);
      TensorData.swap(swapped, t.dtype());
      return ByteBuffer.wrap(swapped);
    }
    return v.duplicate();
  }

  /**
   * Copies the part of a contiguous tensor's new bytes that falls inside {@code dst}, which holds
   * the record's bytes from record offset {@code dstAt}.
   */
  private static void overlay(TensorInfo t, ByteBuffer value, byte[] dst, long dstAt) {
    long size = t.sizeBytes();
    if (size == 0) {
      return;
    }
    long start = t.storageOffset() * t.dtype().itemSize();
    long lo = Math.max(start, dstAt);
    long hi = Math.min(start + size, dstAt + dst.length);
    if (lo >= hi) {
      return;
    }
    value
        .duplicate()
        .position(value.position() + (int) (lo - start))
        .get(dst, (int) (lo - dstAt), (int) (hi - lo));
  }

  /** Writes a strided tensor's new elements, given row-major, to their places in the record. */
  private static void scatter(TensorInfo t, ByteBuffer value, byte[] record) {
    int rank = t.shape().size();
    int item = t.dtype().itemSize();
    long n = t.numel();
    long[] index = new long[rank];
    int from = value.position();
    for (long e = 0; e < n; e++) {
      long element = t.storageOffset();
      for (int d = 0; d < rank; d++) {
        element += index[d] * t.strides().get(d);
      }
      value.duplicate().position(from).get(record, (int) (element * item), item);
      from += item;
      for (int d = rank - 1; d >= 0; d--) {
        if (++index[d] < t.shape().get(d)) {
          break;
        }
        index[d] = 0;
      }
    }
  }

  /** Writes to the output and counts bytes, so zip offsets are known without a seekable output. */
  private static final class CountingSink implements TorchZipWriter.Sink {
    private final WritableByteChannel out;
    private long position;

    CountingSink(WritableByteChannel out) {
      this.out = out;
    }

    @Override
    public void emit(ByteBuffer buf) throws IOException {
      while (buf.hasRemaining()) {
        position += out.write(buf);
      }
    }

    @Override
    public long position() {
      return position;
    }
  }
}
