package dev.graft.format.torch;

import dev.graft.format.DType;
import dev.graft.format.FormatException;
import dev.graft.format.OutputTensor;
import dev.graft.format.internal.SequencedWriter;
import dev.graft.format.pickle.PickleEmitter;
import dev.graft.format.zip.TorchZipWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Streams a state dict as a {@code torch.save} zip that {@code torch.load(path, weights_only=True)}
 * reads (torch 1.13 and later) and {@code load_state_dict(sd, strict=True)} accepts.
 *
 * <p>The layout follows what torch's {@code PyTorchStreamWriter} (miniz) writes (the zip framing is
 * {@link TorchZipWriter}'s):
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

  static final long ZIP32_LIMIT = TorchZipWriter.ZIP32_LIMIT;
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

  private final TorchZipWriter zip;

  private TorchStateDictWriter(
      WritableByteChannel out, List<OutputTensor> layout, long zip64Threshold) {
    super(out, layout);
    this.zip =
        new TorchZipWriter(
            new TorchZipWriter.Sink() {
              @Override
              public void emit(ByteBuffer buf) throws IOException {
                TorchStateDictWriter.this.emit(buf);
              }

              @Override
              public long position() {
                return TorchStateDictWriter.this.position();
              }
            },
            zip64Threshold);
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
    p.global("collections", "OrderedDict").emptyTuple();
    p.reduce().memoize();
    // CPython's _batch_setitems: MARK ... SETITEMS per 1000 items, SETITEM for a lone item.
    for (int start = 0; start < layout.size(); start += PICKLE_BATCH) {
      int end = Math.min(layout.size(), start + PICKLE_BATCH);
      boolean batch = end - start > 1;
      if (batch) {
        p.mark();
      }
      for (int i = start; i < end; i++) {
        OutputTensor t = layout.get(i);
        p.unicode(t.key(), false);
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.mark();
        p.mark()
            .unicode("storage", true)
            .global("torch", t.dtype().storageClass())
            .unicode(Integer.toString(i), false)
            .unicode("cpu", true)
            .integer(t.numel())
            .tuple()
            .memoize()
            .binPersId();
        p.integer(0);
        p.intTuple(t.shape().stream().mapToLong(Long::longValue).toArray());
        p.intTuple(t.contiguousStrides().stream().mapToLong(Long::longValue).toArray());
        p.newFalse();
        // backward_hooks: a fresh empty OrderedDict.
        p.global("collections", "OrderedDict").emptyTuple();
        p.reduce().memoize();
        p.tuple().memoize();
        p.reduce().memoize();
      }
      if (batch) {
        p.setItems();
      } else {
        p.setItem();
      }
    }
    return p.stop().toByteArray();
  }

  @Override
  protected void beginTensor(int index, OutputTensor t) throws IOException {
    zip.begin(ROOT + "/data/" + index, t.sizeBytes());
  }

  @Override
  protected void observeData(ByteBuffer data) {
    zip.update(data);
  }

  @Override
  protected void endTensor(int index, OutputTensor t) throws IOException {
    zip.end();
  }

  @Override
  protected void writeTail() throws IOException {
    record("version", "3\n".getBytes(StandardCharsets.US_ASCII));
    zip.finish();
  }

  /** Writes a whole small record. */
  private void record(String name, byte[] data) throws IOException {
    zip.record(ROOT + "/" + name, data);
  }
}
