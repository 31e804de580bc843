package dev.graft.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Streams a state dict as a {@code torch.save} zip that {@code torch.load(path, weights_only=True)}
 * reads (torch 1.13 and later) and {@code load_state_dict(sd, strict=True)} accepts.
 *
 * <p>The layout follows what torch's {@code PyTorchStreamWriter} (miniz) writes:
 *
 * <ul>
 *   <li>one root folder {@code archive/}; records {@code data.pkl}, {@code byteorder} ({@code
 *       little}), {@code data/0}, {@code data/1}, ... (one per tensor, in layout order), then
 *       {@code version} ({@code 3\n});
 *   <li>every record STORED, with zero time and date, general-purpose flag bit 11 (UTF-8) and, for
 *       non-empty records, bit 3 with a {@code PK\7\10} data descriptor after the data that carries
 *       the CRC-32 computed while streaming; the local header's CRC and sizes are zero, as miniz
 *       writes them, so the output need not be seekable;
 *   <li>each record's data starts at a multiple of 64: the local header's extra field ends with
 *       torch's {@code FB} padding field filled with {@code Z};
 *   <li>ZIP64 as miniz does it: a record of 4 GiB or more, or one whose header lies at or beyond 4
 *       GiB, gets a ZIP64 extra field (local and central) with both sizes and, past 4 GiB, the
 *       header offset; 8-byte sizes in its data descriptor and {@code 0xFFFFFFFF} in the 32-bit
 *       fields; the ZIP64 end record and locator are always written before the end record, as torch
 *       does.
 * </ul>
 *
 * <p>{@code data.pkl} is the protocol-2 pickle torch 1.13 writes for {@code torch.save} of an
 * {@code OrderedDict} of contiguous CPU tensors, memo opcodes included: {@code
 * collections.OrderedDict()} filled in batches of 1000 by SETITEMS, each value {@code
 * torch._utils._rebuild_tensor_v2(persistent_id(('storage', torch.XStorage, 'n', 'cpu', numel)), 0,
 * size, stride, False, OrderedDict())}. It is known from the layout and written first.
 *
 * <p>Not written: {@code .data/serialization_id}, {@code .format_version} and {@code
 * .storage_alignment}, which torch 2 adds and no torch version requires. Tensors are never {@code
 * nn.Parameter}s and the dict has no {@code _metadata}, as after {@code
 * torch.save(OrderedDict(...))}; {@code load_state_dict} accepts that.
 */
public final class TorchStateDictWriter extends SequencedWriter {

  /** The archive's root folder, as torch 2 names it for every file. */
  public static final String ROOT = "archive";

  static final long ZIP32_LIMIT = 0xffffffffL;
  private static final int LOCAL_SIG = 0x04034b50;
  private static final int CENTRAL_SIG = 0x02014b50;
  private static final int DESCRIPTOR_SIG = 0x08074b50;
  private static final int ZIP64_EOCD_SIG = 0x06064b50;
  private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  private static final int EOCD_SIG = 0x06054b50;
  private static final int FLAG_DESCRIPTOR = 0x0008;
  private static final int FLAG_UTF8 = 0x0800;
  private static final int ALIGNMENT = 64;
  private static final int PICKLE_BATCH = 1000;

  // The dtypes with a torch.<X>Storage class, the form torch 1.13 and later load with
  // weights_only=True. The float8 and uint16/32/64 types have none (DType's names for them are
  // Graft's own), so a file naming one would not load in torch.
  private static final Set<DType> LEGACY_STORAGE =
      EnumSet.of(
          DType.FLOAT64,
          DType.FLOAT32,
          DType.FLOAT16,
          DType.BFLOAT16,
          DType.INT64,
          DType.INT32,
          DType.INT16,
          DType.INT8,
          DType.UINT8,
          DType.BOOL,
          DType.COMPLEX64,
          DType.COMPLEX128);

  private final long zip64Threshold;
  private final List<Central> central = new ArrayList<>();
  private final CRC32 crc = new CRC32();
  private Central open;

  private TorchStateDictWriter(
      WritableByteChannel out, List<OutputTensor> layout, long zip64Threshold) {
    super(out, layout);
    this.zip64Threshold = zip64Threshold;
  }

  /**
   * Writes the archive's {@code data.pkl} and {@code byteorder} records.
   *
   * @param out where the file goes, from its first byte (zip offsets count from there); never
   *     closed by the writer
   * @param layout every tensor, in state-dict order, the order the data will arrive
   * @return the writer, ready for the first tensor
   * @throws IllegalArgumentException when a key appears twice, or a dtype has no legacy torch
   *     storage class (float8, uint16/32/64); nothing is written then
   * @throws IOException when the output cannot be written
   */
  public static TorchStateDictWriter open(WritableByteChannel out, List<OutputTensor> layout)
      throws IOException {
    return open(out, layout, ZIP32_LIMIT);
  }

  /**
   * As {@link #open(WritableByteChannel, List)}, with the size or offset from which records use
   * ZIP64 lowered, so tests can exercise ZIP64 without writing 4 GiB.
   */
  static TorchStateDictWriter open(
      WritableByteChannel out, List<OutputTensor> layout, long zip64Threshold) throws IOException {
    for (OutputTensor t : layout) {
      if (!LEGACY_STORAGE.contains(t.dtype())) {
        throw new IllegalArgumentException(
            "tensor "
                + FormatException.quote(t.key())
                + " is "
                + t.dtype().torchName()
                + ", for which torch has no legacy storage class to pickle; newer torch saves it"
                + " another way, which this writer does not write: write safetensors instead");
      }
    }
    TorchStateDictWriter w = new TorchStateDictWriter(out, layout, zip64Threshold);
    w.record("data.pkl", pickle(w.layout()));
    w.record("byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    return w;
  }

  /** The {@code data.pkl} bytes for a layout. */
  static byte[] pickle(List<OutputTensor> layout) {
    PickleEmitter p = new PickleEmitter().proto2();
    p.global("collections", "OrderedDict").op(PickleOpcodes.EMPTY_TUPLE);
    p.op(PickleOpcodes.REDUCE).memoize();
    // CPython's _batch_setitems: MARK ... SETITEMS per 1000 items, SETITEM for a lone item.
    for (int start = 0; start < layout.size(); start += PICKLE_BATCH) {
      int end = Math.min(layout.size(), start + PICKLE_BATCH);
      boolean batch = end - start > 1;
      if (batch) {
        p.op(PickleOpcodes.MARK);
      }
      for (int i = start; i < end; i++) {
        OutputTensor t = layout.get(i);
        p.unicode(t.key(), false);
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.op(PickleOpcodes.MARK);
        p.op(PickleOpcodes.MARK)
            .unicode("storage", true)
            .global("torch", t.dtype().storageClass())
            .unicode(Integer.toString(i), false)
            .unicode("cpu", true)
            .integer(t.numel())
            .op(PickleOpcodes.TUPLE)
            .memoize()
            .op(PickleOpcodes.BINPERSID);
        p.integer(0);
        p.intTuple(t.shape().stream().mapToLong(Long::longValue).toArray());
        p.intTuple(t.contiguousStrides().stream().mapToLong(Long::longValue).toArray());
        p.op(PickleOpcodes.NEWFALSE);
        // backward_hooks: a fresh empty OrderedDict.
        p.global("collections", "OrderedDict").op(PickleOpcodes.EMPTY_TUPLE);
        p.op(PickleOpcodes.REDUCE).memoize();
        p.op(PickleOpcodes.TUPLE).memoize();
        p.op(PickleOpcodes.REDUCE).memoize();
      }
      p.op(batch ? PickleOpcodes.SETITEMS : PickleOpcodes.SETITEM);
    }
    return p.op(PickleOpcodes.STOP).toByteArray();
  }

  @Override
  void beginTensor(int index, OutputTensor t) throws IOException {
    beginRecord("data/" + index, t.sizeBytes());
  }

  @Override
  void observeData(ByteBuffer data) {
    crc.update(data);
  }

  @Override
  void endTensor(int index, OutputTensor t) throws IOException {
    endRecord();
  }

  @Override
  void writeTail() throws IOException {
    record("version", "3\n".getBytes(StandardCharsets.US_ASCII));
    long cdOffset = position();
    for (Central c : central) {
      emit(c.centralHeader());
    }
    long cdSize = position() - cdOffset;
    long zip64At = position();
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
    emit(end.flip());
  }

  /** Writes a whole small record. */
  private void record(String name, byte[] data) throws IOException {
    beginRecord(name, data.length);
    ByteBuffer buf = ByteBuffer.wrap(data);
    crc.update(buf.duplicate());
    emit(buf);
    endRecord();
  }

  private void beginRecord(String relativeName, long size) throws IOException {
    byte[] name = (ROOT + "/" + relativeName).getBytes(StandardCharsets.UTF_8);
    long headerAt = position();
    Central c = new Central(name, size, headerAt, zip64Threshold);
    byte[] zip64 = c.zip64Extra();
    // torch's getPadding: an FB field whose length brings the data to a multiple of 64.
    long dataAt = headerAt + 30 + name.length + zip64.length + 4;
    int padding = (int) ((ALIGNMENT - dataAt % ALIGNMENT) % ALIGNMENT);
    ByteBuffer h = le(30 + name.length + zip64.length + 4 + padding);
    h.putInt(LOCAL_SIG).putShort((short) 0).putShort((short) c.flags()).putShort((short) 0);
    h.putShort((short) 0).putShort((short) 0); // time, date
    // CRC and sizes go in the data descriptor (bit 3); miniz leaves these zero.
    h.putInt(0).putInt(0).putInt(0);
    h.putShort((short) name.length).putShort((short) (zip64.length + 4 + padding));
    h.put(name).put(zip64);
    h.put((byte) 'F').put((byte) 'B').putShort((short) padding);
    while (h.hasRemaining()) {
      h.put((byte) 'Z');
    }
    emit(h.flip());
    crc.reset();
    open = c;
  }

  private void endRecord() throws IOException {
    Central c = open;
    open = null;
    c.crc = (int) crc.getValue();
    if (c.size > 0) {
      ByteBuffer d = le(c.zip64() ? 24 : 16);
      d.putInt(DESCRIPTOR_SIG).putInt(c.crc);
      if (c.zip64()) {
        d.putLong(c.size).putLong(c.size);
      } else {
        d.putInt((int) c.size).putInt((int) c.size);
      }
      emit(d.flip());
    }
    central.add(c);
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** What the central directory needs to know of one record. */
  private static final class Central {
    final byte[] name;
    final long size;
    final long headerAt;
    final boolean farHeader;
    final boolean zip64;
    int crc;

    Central(byte[] name, long size, long headerAt, long threshold) {
      this.name = name;
      this.size = size;
      this.headerAt = headerAt;
      this.farHeader = headerAt >= threshold;
      this.zip64 = size >= threshold || farHeader;
    }

    boolean zip64() {
      return zip64;
    }

    int flags() {
      // miniz uses a data descriptor only for records with data.
      return size > 0 ? FLAG_UTF8 | FLAG_DESCRIPTOR : FLAG_UTF8;
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
      e.putLong(size).putLong(size);
      if (farHeader) {
        e.putLong(headerAt);
      }
      return e.array();
    }

    ByteBuffer centralHeader() {
      byte[] extra = zip64Extra();
      ByteBuffer h = le(46 + name.length + extra.length);
      h.putInt(CENTRAL_SIG).putShort((short) 0).putShort((short) 0);
      h.putShort((short) flags()).putShort((short) 0).putShort((short) 0).putShort((short) 0);
      int size32 = zip64() ? -1 : (int) size;
      h.putInt(crc).putInt(size32).putInt(size32);
      h.putShort((short) name.length).putShort((short) extra.length).putShort((short) 0);
      h.putShort((short) 0).putShort((short) 0).putInt(0);
      h.putInt(farHeader ? -1 : (int) headerAt);
      h.put(name).put(extra);
      return h.flip();
    }
  }
}
