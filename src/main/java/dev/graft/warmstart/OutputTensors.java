package dev.graft.warmstart;

import dev.graft.architecture.ArchitectureService;
import dev.graft.format.DType;
import dev.graft.format.OutputTensor;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.plan.Report;
import dev.graft.plan.TargetEntry;
import dev.graft.storage.BlobStore;
import dev.graft.warmstart.internal.EngineUnsupported;
import dev.graft.warmstart.internal.TensorEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Makes the bytes of each output tensor of a plan, one at a time: read from its source checkpoint's
 * blob, or from the architecture's initial values, and cast, sliced into or initialised on the
 * engine. Holds the blobs open for the attempt; closing it closes them.
 */
final class OutputTensors implements AutoCloseable {

  private final Map<String, TargetEntry> targets = new HashMap<>();
  private final ArchitectureService.InitialValues initial;
  private final TensorEngine engine;
  private final long initSeed;
  private final SourceBlobs sources;
  private final SeekableByteChannel initialBytes;
  private final Runnable between;

  /** Bytes read from a store that is not a local file, at most, between two checks. */
  static final int CHUNK = 8 << 20;

  private OutputTensors(
      RunAttempt.Plan plan,
      TensorEngine engine,
      SourceBlobs sources,
      SeekableByteChannel initialBytes,
      Runnable between) {
    this.between = between;
    for (TargetEntry t : plan.target().entries()) {
      targets.put(t.key(), t);
    }
    this.initial = plan.initial();
    this.engine = engine;
    this.initSeed = plan.options().initSeed();
    this.sources = sources;
    this.initialBytes = initialBytes;
  }

  /**
   * Opens the source checkpoints' blobs, and the architecture's when it holds initial values;
   * {@code between} is called between the chunks of a large tensor read from a remote store (it
   * throws to stop the attempt).
   */
  static OutputTensors open(BlobStore blobs, RunAttempt.Plan plan, TensorEngine engine)
      throws IOException {
    return open(blobs, plan, engine, () -> {});
  }

  /**
   * Opens the source checkpoints' blobs, and the architecture's when it holds initial values.
   *
   * @throws dev.graft.storage.BlobStore.BlobMissing when a blob is not in the store
   */
  static OutputTensors open(
      BlobStore blobs, RunAttempt.Plan plan, TensorEngine engine, Runnable between)
      throws IOException {
    ArchitectureService.InitialValues initial = plan.initial();
    SourceBlobs sources = SourceBlobs.open(blobs, plan.sources());
    try {
      SeekableByteChannel initialBytes =
          initial.byKey().isEmpty() ? null : blobs.open(initial.sha256());
      return new OutputTensors(plan, engine, sources, initialBytes, between);
    } catch (IOException | RuntimeException e) {
      sources.close();
      throw e;
    }
  }

  /**
   * The bytes of one output tensor, in the report's dtype and shape, little-endian.
   *
   * @throws EngineUnsupported naming the entry's key when the engine cannot hold a dtype it needs
   * @throws IllegalStateException for an entry without an action (a plan that failed)
   */
  ByteBuffer produce(Report.Entry e) throws IOException {
    DType out = RunAttempt.dtype(e.dtype());
    if (e.action() == null) {
      throw new IllegalStateException(
          "entry " + e.targetKey() + " has no action in an executable plan");
    }
    try {
      return switch (e.action()) {
        case COPIED, CAST -> {
          TensorInfo s = sources.tensor(e);
          ByteBuffer bytes = read(sources.channel(e), s);
          if (e.shape().isEmpty() && s.shape().size() == 1) {
            // torch loads a 1-element vector into a 0-dim tensor by taking its first element.
            bytes = bytes.slice(0, s.dtype().itemSize()).order(ByteOrder.LITTLE_ENDIAN);
          }
          yield s.dtype() == out ? bytes : engine.cast(bytes, s.dtype(), out, e.shape());
        }
        case COPIED_OVERLAP -> {
          TensorInfo s = sources.tensor(e);
          yield engine.copyOverlap(
              read(sources.channel(e), s), s.dtype(), s.shape(), initialValue(e), out, e.shape());
        }
        case INITIALIZED, SKIPPED -> initialValue(e);
        // BatchNorm's num_batches_tracked, which torch fills with 0 for checkpoints that predate
        // it.
        case DEFAULTED ->
            ByteBuffer.allocate((int) new OutputTensor(e.targetKey(), out, e.shape()).sizeBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
      };
    } catch (EngineUnsupported u) {
      throw u.key() == null ? u.forKey(e.targetKey()) : u;
    }
  }

  /**
   * Where an entry's output bytes already lie, unchanged, in a local file: a tensor copied in its
   * own dtype, or an initial value the architecture holds in the entry's dtype, stored contiguous
   * and little-endian. Such bytes need no engine and can be copied file to file; empty when the
   * entry's bytes must be produced.
   */
  Optional<Region> region(Report.Entry e) {
    if (e.action() == null) {
      return Optional.empty();
    }
    DType out = RunAttempt.dtype(e.dtype());
    return switch (e.action()) {
      case COPIED, CAST -> {
        TensorInfo s = sources.tensor(e);
        boolean scalarFromVector = e.shape().isEmpty() && s.shape().size() == 1;
        yield s.dtype() == out && !scalarFromVector
            ? fileRegion(sources.channel(e), s)
            : Optional.empty();
      }
      case INITIALIZED, SKIPPED -> {
        TensorInfo value = initial.byKey().get(e.targetKey());
        yield value != null && value.dtype() == out
            ? fileRegion(initialBytes, value)
            : Optional.empty();
      }
      default -> Optional.empty();
    };
  }

  private static Optional<Region> fileRegion(SeekableByteChannel ch, TensorInfo t) {
    if (ch instanceof FileChannel fc
        && t.contiguous()
        && t.byteOrder() == ByteOrder.LITTLE_ENDIAN
        && t.sizeBytes() > 0) {
      return Optional.of(new Region(fc, t.byteStart(), t.sizeBytes()));
    }
    return Optional.empty();
  }

  /** A tensor's bytes as a region of a local file. */
  record Region(FileChannel file, long position, long size) {}

  /** The entry's initial value: the architecture's own, or drawn by its init scheme. */
  private ByteBuffer initialValue(Report.Entry e) throws IOException {
    DType out = RunAttempt.dtype(e.dtype());
    TensorInfo value = initial.byKey().get(e.targetKey());
    if (value != null) {
      ByteBuffer bytes = read(initialBytes, value);
      return value.dtype() == out ? bytes : engine.cast(bytes, value.dtype(), out, e.shape());
    }
    TargetEntry t = targets.get(e.targetKey());
    return engine.initialize(t.init(), out, e.shape(), initSeed, e.targetKey());
  }

  /**
   * A tensor's bytes, contiguous and little-endian: mapped where they already are, else gathered.
   */
  private ByteBuffer read(SeekableByteChannel ch, TensorInfo t) throws IOException {
    if (ch instanceof FileChannel fc
        && t.contiguous()
        && t.byteOrder() == ByteOrder.LITTLE_ENDIAN
        && t.sizeBytes() > 0) {
      return fc.map(FileChannel.MapMode.READ_ONLY, t.byteStart(), t.sizeBytes())
          .order(ByteOrder.LITTLE_ENDIAN);
    }
    if (t.contiguous() && t.sizeBytes() > CHUNK && t.sizeBytes() <= Integer.MAX_VALUE - 8) {
      // A large tensor from a remote store is read in bounded chunks, so that a cancel or a lost
      // lease stops the attempt within one chunk rather than after the whole tensor.
      ByteBuffer whole = ByteBuffer.allocate((int) t.sizeBytes());
      long position = t.byteStart();
      while (whole.hasRemaining()) {
        between.run();
        ByteBuffer chunk = whole.slice(whole.position(), Math.min(CHUNK, whole.remaining()));
        while (chunk.hasRemaining()) {
          ch.position(position + chunk.position());
          if (ch.read(chunk) < 0) {
            throw new java.io.EOFException(
                "tensor " + t.key() + " ends past the end of its blob at " + position);
          }
        }
        position += chunk.capacity();
        whole.position(whole.position() + chunk.capacity());
      }
      if (t.byteOrder() == ByteOrder.BIG_ENDIAN) {
        TensorData.swap(whole.array(), t.dtype());
      }
      return whole.flip().order(ByteOrder.LITTLE_ENDIAN);
    }
    return ByteBuffer.wrap(TensorData.readContiguous(ch, t)).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public void close() throws IOException {
    try (SourceBlobs a = sources;
        SeekableByteChannel b = initialBytes) {
      // closed by the resource statement, the second even if the first fails
    }
  }
}
