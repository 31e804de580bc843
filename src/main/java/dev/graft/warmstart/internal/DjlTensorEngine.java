package dev.graft.warmstart.internal;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.graft.format.DType;
import dev.graft.plan.Init;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The tensor engine on DJL's PyTorch engine, on the CPU or a CUDA device.
 *
 * <p>Each operation opens its own {@link NDManager} and closes it before returning, so native
 * memory lives no longer than one tensor's work and results never point into freed memory: they are
 * copied out into Java-owned buffers first.
 *
 * <p>Dtypes: DJL 0.36 maps float64, float32, float16, int64, int32, int8, uint8 and bool to torch.
 * Its native library has no mapping for bfloat16, int16 or the unsigned 16/32/64-bit types even
 * though DJL's {@link DataType} names them: handing one to it aborts the whole JVM (a bare C++
 * {@code throw;}). bfloat16 is too common in checkpoints to refuse, so it is bridged through
 * float32: a bfloat16 is by definition the upper half of a float32, so widening is placing its two
 * bytes (exact), and narrowing is torch's own round-to-nearest-even rule ({@code c10::BFloat16})
 * computed on the device in float64 arithmetic on the float32's bits, which float64 holds exactly.
 * A NaN narrows to 0x7fc0, as c10's scalar rule gives (torch's vectorised CPU path gives 0xffff,
 * CUDA 0x7fff: NaN payloads are not stable in torch). int16 is bridged through int32 the same way:
 * widening is sign extension, narrowing keeps the low 16 bits of the int32 torch converted to,
 * which is torch's own result for every input C++ defines. The unsigned types are refused here,
 * before any DJL call, with {@link EngineUnsupported} (torch 1.13, the reference the tests use, has
 * no uint16/32/64 to check a bridge against); complex and float8 types have no DJL equivalent at
 * all.
 */
public final class DjlTensorEngine implements TensorEngine {

  /**
   * Guards torch's random generator, which is global to the process: seeding and drawing must not
   * interleave with another engine's, or the same seed would not give the same values.
   */
  private static final Object RANDOM_LOCK = new Object();

  private final Engine engine;
  private final Device device;
  private final String deviceName;
  private volatile boolean closed;

  private DjlTensorEngine(Engine engine, Device device) {
    this.engine = engine;
    this.device = device;
    this.deviceName = EngineDevices.nameOf(device);
  }

  /**
   * Opens an engine on a device.
   *
   * @param requestedDevice {@code cpu}, {@code cuda:N}, or {@code null} for automatic: {@code
   *     cuda:0} when DJL sees a GPU, else {@code cpu}
   * @throws IllegalArgumentException when the name is unknown or names a GPU DJL does not see
   * @throws IllegalStateException on a big-endian machine
   */
  public static DjlTensorEngine open(String requestedDevice) {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      // torch reads elements in native order and Graft's bytes are little-endian; every platform
      // DJL ships PyTorch for is little-endian, so this is a guard, not a feature.
      throw new IllegalStateException("the tensor engine needs a little-endian machine");
    }
    Engine engine = EngineDevices.engine();
    int gpus = engine.getGpuCount();
    Device device;
    if (requestedDevice == null) {
      device = gpus > 0 ? Device.gpu(0) : Device.cpu();
    } else {
      device = EngineDevices.parse(requestedDevice);
      if (device.isGpu() && device.getDeviceId() >= gpus) {
        throw new IllegalArgumentException(
            "device "
                + EngineDevices.nameOf(device)
                + " requested, but DJL sees "
                + gpus
                + " CUDA device(s) (cpu-only native library or no GPU)");
      }
    }
    return new DjlTensorEngine(engine, device);
  }

  /**
   * How many CUDA devices an engine can be opened on: 0 with the CPU-only native library or without
   * a GPU.
   */
  public static int gpuCount() {
    return EngineDevices.gpuCount();
  }

  /** The DJL data type for a dtype, when DJL's PyTorch engine can hold it. */
  static Optional<DataType> djlType(DType dtype) {
    // The native library aborts the JVM on the rest (see the class comment), or DJL lacks them.
    return Optional.ofNullable(
        switch (dtype) {
          case FLOAT64 -> DataType.FLOAT64;
          case FLOAT32 -> DataType.FLOAT32;
          case FLOAT16 -> DataType.FLOAT16;
          case INT64 -> DataType.INT64;
          case INT32 -> DataType.INT32;
          case INT8 -> DataType.INT8;
          case UINT8 -> DataType.UINT8;
          case BOOL -> DataType.BOOLEAN;
          default -> null;
        });
  }

  @Override
  public String device() {
    return deviceName;
  }

  @Override
  public boolean supports(DType dtype) {
    return dtype == DType.BFLOAT16 || dtype == DType.INT16 || djlType(dtype).isPresent();
  }

  @Override
  public ByteBuffer copy(ByteBuffer source, DType dtype, List<Long> shape) {
    ensureOpen();
    long bytes = checkedBytes(source, dtype, shape, "source");
    // The identity needs no device: a byte copy is exact for every dtype, DJL's or not.
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    out.put(source.duplicate());
    return out.flip();
  }

  @Override
  public ByteBuffer cast(ByteBuffer source, DType from, DType to, List<Long> shape) {
    ensureOpen();
    require(from, "cast from " + from.torchName());
    DataType toType = require(to, "cast to " + to.torchName());
    checkedBytes(source, from, shape, "source");
    if (from == to) {
      // copy_ between equal dtypes moves bytes unchanged, NaN payloads included.
      return copy(source, from, shape);
    }
    long n = numel(shape);
    if (n == 0) {
      return empty();
    }
    if (source.remaining() <= CAST_CHUNK_BYTES) {
      try (NDManager manager = NDManager.newBaseManager(device, EngineDevices.ENGINE_NAME)) {
        NDArray input = upload(manager, source, from, shape);
        return download(input.toType(toType, false), to);
      }
    }
    // A cast is elementwise: a large tensor goes through the engine in slices, so the native and
    // direct memory it takes is a slice's, not the tensor's (a 200 MiB tensor cast by two runs at
    // once otherwise needs more direct memory than a -Xmx512m process has).
    ByteBuffer out =
        ByteBuffer.allocate(Math.toIntExact(n * to.itemSize())).order(ByteOrder.LITTLE_ENDIAN);
    int perSlice = CAST_CHUNK_BYTES / from.itemSize();
    for (long first = 0; first < n; first += perSlice) {
      int count = (int) Math.min(perSlice, n - first);
      ByteBuffer slice =
          source
              .slice(source.position() + (int) (first * from.itemSize()), count * from.itemSize())
              .order(ByteOrder.LITTLE_ENDIAN);
      try (NDManager manager = NDManager.newBaseManager(device, EngineDevices.ENGINE_NAME)) {
        NDArray input = upload(manager, slice, from, List.of((long) count));
        out.put(download(input.toType(toType, false), to));
      }
    }
    return out.flip();
  }

  /** The largest source a cast sends to the engine at once; larger ones go in slices. */
  static final int CAST_CHUNK_BYTES = 8 << 20;

  @Override
  public ByteBuffer copyOverlap(
      ByteBuffer source,
      DType sourceDtype,
      List<Long> sourceShape,
      ByteBuffer targetInitial,
      DType targetDtype,
      List<Long> targetShape) {
    ensureOpen();
    require(sourceDtype, "copy the overlap from " + sourceDtype.torchName());
    DataType targetType = require(targetDtype, "copy the overlap into " + targetDtype.torchName());
    checkedBytes(source, sourceDtype, sourceShape, "source");
    checkedBytes(targetInitial, targetDtype, targetShape, "target initial value");
    if (sourceShape.size() != targetShape.size()) {
      throw new IllegalArgumentException(
          "copyOverlap needs equal ranks: source " + sourceShape + ", target " + targetShape);
    }
    if (numel(targetShape) == 0) {
      return empty();
    }
    StringBuilder block = new StringBuilder();
    boolean overlaps = true;
    for (int i = 0; i < sourceShape.size(); i++) {
      long common = Math.min(sourceShape.get(i), targetShape.get(i));
      overlaps &= common > 0;
      block.append(i == 0 ? ":" : ", :").append(common);
    }
    try (NDManager manager = NDManager.newBaseManager(device, EngineDevices.ENGINE_NAME)) {
      // upload copies the caller's bytes, so the in-place set below never writes into
      // targetInitial. A bfloat16 or int16 target is worked on in float32 or int32: its initial
      // values widen and narrow back exactly.
      NDArray target = upload(manager, targetInitial, targetDtype, targetShape);
      if (!overlaps) {
        return download(target, targetDtype);
      }
      NDArray input = upload(manager, source, sourceDtype, sourceShape).toType(targetType, false);
      if (targetShape.isEmpty()) {
        // 0-dim: the whole tensor is the overlap.
        return download(input, targetDtype);
      }
      NDIndex index = new NDIndex(block.toString());
      target.set(index, input.get(index));
      return download(target, targetDtype);
    }
  }

  @Override
  public ByteBuffer initialize(Init init, DType dtype, List<Long> shape, long seed, String key) {
    ensureOpen();
    Objects.requireNonNull(init, "init");
    Objects.requireNonNull(key, "key");
    DataType type;
    try {
      type = require(dtype, "initialize with " + init.scheme());
    } catch (EngineUnsupported e) {
      throw e.forKey(key);
    }
    Shape djlShape = shapeOf(shape);
    boolean empty = numel(shape) == 0;
    try (NDManager manager = NDManager.newBaseManager(device, EngineDevices.ENGINE_NAME)) {
      // Exhaustive: a scheme added to InitScheme does not compile until it is computed here.
      return switch (init.scheme()) {
        case ZEROS -> empty ? empty() : download(manager.zeros(djlShape, type), dtype);
        case ONES -> empty ? empty() : download(manager.ones(djlShape, type), dtype);
        case CONSTANT -> {
          double value = value(init, "value", key);
          checkFits(value, dtype, key);
          if (empty) {
            yield empty();
          }
          // manager.full takes a float; a float64 scalar converted on the device keeps a double
          // constant exact for float64 entries and converts as fill_ does for the others.
          NDArray scalar = manager.create(value).toType(type, false);
          yield download(scalar.broadcast(djlShape), dtype);
        }
        case NORMAL ->
            random(
                manager,
                dtype,
                type,
                shape,
                seed,
                key,
                false,
                value(init, "mean", key),
                value(init, "std", key));
        case UNIFORM ->
            random(
                manager,
                dtype,
                type,
                shape,
                seed,
                key,
                true,
                value(init, "a", key),
                value(init, "b", key));
        case KAIMING_UNIFORM -> {
          if (empty) {
            // torch.nn.init returns early for zero-element tensors, before computing fans.
            yield empty();
          }
          double a = value(init, "a", key);
          double gain = Math.sqrt(2.0 / (1.0 + a * a));
          double bound = gain * Math.sqrt(3.0 / fans(shape, key)[0]);
          yield random(manager, dtype, type, shape, seed, key, true, -bound, bound);
        }
        case XAVIER_UNIFORM -> {
          if (empty) {
            yield empty();
          }
          double gain = value(init, "gain", key);
          long[] fans = fans(shape, key);
          double bound = gain * Math.sqrt(6.0 / (fans[0] + fans[1]));
          yield random(manager, dtype, type, shape, seed, key, true, -bound, bound);
        }
      };
    }
  }

  /**
   * Derives the seed one entry draws with: a stable hash of the run's seed and the key, so entries
   * draw different values and each entry's values do not depend on which other entries a run
   * initialises.
   */
  static int entrySeed(long initSeed, String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] d =
          sha.digest(("graft.init\0" + initSeed + "\0" + key).getBytes(StandardCharsets.UTF_8));
      int s = ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
      // DJL's seed is an int; a non-negative one stays the same number when torch widens it.
      return s & 0x7fffffff;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public void close() {
    // Managers are per operation and already closed; this only stops further use.
    closed = true;
  }

  private ByteBuffer random(
      NDManager manager,
      DType dtype,
      DataType type,
      List<Long> shape,
      long seed,
      String key,
      boolean uniform,
      double first,
      double second) {
    if (dtype != DType.FLOAT64
        && dtype != DType.FLOAT32
        && dtype != DType.FLOAT16
        && dtype != DType.BFLOAT16) {
      // torch's random init rejects integer and bool tensors; drawing floats and truncating
      // would hide an architecture mistake.
      throw new EngineUnsupported(key, dtype, "draw random values for a non-floating entry");
    }
    if (numel(shape) == 0) {
      return empty();
    }
    // Draw in float32 (float64 for float64 entries) and convert, so 16-bit entries see the same
    // distribution on every device.
    DataType drawn = dtype == DType.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    NDArray values;
    synchronized (RANDOM_LOCK) {
      engine.setRandomSeed(entrySeed(seed, key));
      values =
          uniform
              ? manager.randomUniform((float) first, (float) second, shapeOf(shape), drawn)
              : manager.randomNormal((float) first, (float) second, shapeOf(shape), drawn);
    }
    return download(values.toType(type, false), dtype);
  }

  private static long[] fans(List<Long> shape, String key) {
    if (shape.size() < 2) {
      throw new IllegalArgumentException(
          "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions: '"
              + key
              + "' has shape "
              + shape);
    }
    long receptive = 1;
    for (int i = 2; i < shape.size(); i++) {
      receptive *= shape.get(i);
    }
    return new long[] {shape.get(1) * receptive, shape.get(0) * receptive};
  }

  /**
   * Refuses a constant torch's {@code fill_} refuses ("value cannot be converted to type ...
   * without overflow"), so a JSON architecture cannot hold an entry torch itself could not
   * initialise: a finite value beyond a floating type's largest, and for integers anything outside
   * the type's range, NaN and infinities included. bool takes any value.
   */
  private static void checkFits(double value, DType dtype, String key) {
    // int64's upper bound is the double below 2^63: 2^63 itself does not fit.
    double[] range =
        switch (dtype) {
          case FLOAT16 -> new double[] {-65504.0, 65504.0};
          case BFLOAT16 -> new double[] {-3.3895313892515355e38, 3.3895313892515355e38};
          case FLOAT32 -> new double[] {-Float.MAX_VALUE, Float.MAX_VALUE};
          case INT8 -> new double[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
          case UINT8 -> new double[] {0, 255};
          case INT16 -> new double[] {Short.MIN_VALUE, Short.MAX_VALUE};
          case INT32 -> new double[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
          case INT64 -> new double[] {-0x1p63, Math.nextDown(0x1p63)};
          default -> null;
        };
    if (range == null) {
      return;
    }
    boolean floating = dtype == DType.FLOAT16 || dtype == DType.BFLOAT16 || dtype == DType.FLOAT32;
    boolean fits =
        floating
            ? !Double.isFinite(value) || (value >= range[0] && value <= range[1])
            : value >= range[0] && value <= range[1];
    if (!fits) {
      throw new IllegalArgumentException(
          "constant "
              + value
              + " for '"
              + key
              + "': value cannot be converted to type "
              + dtype.torchName()
              + " without overflow");
    }
  }

  /** A parameter's value (given or default), naming the entry when it is missing. */
  private static double value(Init init, String name, String key) {
    try {
      return init.value(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " for '" + key + "'", e);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("tensor engine on " + deviceName + " is closed");
    }
  }

  /**
   * The DJL type the device holds a dtype's values in: float32 for bfloat16 and int32 for int16
   * (see the class comment).
   */
  private static DataType require(DType dtype, String what) {
    if (dtype == DType.BFLOAT16) {
      return DataType.FLOAT32;
    }
    if (dtype == DType.INT16) {
      return DataType.INT32;
    }
    return djlType(dtype)
        .orElseThrow(() -> new EngineUnsupported(null, dtype, what + " on DJL's PyTorch engine"));
  }

  /**
   * Copies the caller's bytes into a fresh buffer DJL can hand to torch; bfloat16 arrives as the
   * float32 it is the upper half of, int16 as the int32 it sign-extends to.
   */
  private static NDArray upload(
      NDManager manager, ByteBuffer bytes, DType dtype, List<Long> shape) {
    if (dtype == DType.INT16) {
      int n = bytes.remaining() / 2;
      ByteBuffer widened = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      int at = bytes.position();
      for (int i = 0; i < n; i++) {
        byte low = bytes.get(at + 2 * i);
        byte high = bytes.get(at + 2 * i + 1);
        byte sign = (byte) (high < 0 ? 0xff : 0);
        widened.put(4 * i, low).put(4 * i + 1, high).put(4 * i + 2, sign).put(4 * i + 3, sign);
      }
      return manager.create(widened, shapeOf(shape), DataType.INT32);
    }
    if (dtype == DType.BFLOAT16) {
      int n = bytes.remaining() / 2;
      ByteBuffer widened = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      int at = bytes.position();
      for (int i = 0; i < n; i++) {
        // Little-endian float32 bytes: two zero bytes of mantissa, then the bfloat16's two bytes.
        widened.put(4 * i + 2, bytes.get(at + 2 * i));
        widened.put(4 * i + 3, bytes.get(at + 2 * i + 1));
      }
      return manager.create(widened, shapeOf(shape), DataType.FLOAT32);
    }
    return upload(manager, bytes, djlType(dtype).orElseThrow(), shape);
  }

  private static NDArray upload(
      NDManager manager, ByteBuffer bytes, DataType type, List<Long> shape) {
    // A direct buffer of our own: DJL passes its address to torch (so it must start at the data,
    // whatever the caller's position), the CPU tensor aliases it (so in-place writes stay ours),
    // and its fresh allocation is aligned, which a slice of a mapped file need not be. The bytes
    // are copied as they are: little-endian, which open() checked is torch's native order here.
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    direct.put(bytes.duplicate()).flip();
    return manager.create(direct, shapeOf(shape), type);
  }

  /**
   * Copies a tensor's bytes out of native memory before its manager frees it, narrowing float32
   * values to bfloat16, or int32 values to int16, where that is the output dtype.
   */
  private static ByteBuffer download(NDArray array, DType dtype) {
    if (dtype == DType.BFLOAT16) {
      return lowHalves(narrowToBfloat16Bits(array));
    }
    if (dtype == DType.INT16) {
      // torch converts to int16 by keeping the low 16 bits (integers) or truncating (floats in
      // range); converting to int32 first and keeping its low 16 bits is the same for every
      // defined input.
      return lowHalves(array.toType(DataType.INT32, false));
    }
    return download(array);
  }

  /** The low two bytes of each int32 element, as the 16-bit elements they are. */
  private static ByteBuffer lowHalves(NDArray int32) {
    ByteBuffer words = int32.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int n = words.remaining() / 4;
    ByteBuffer out = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
    int at = words.position();
    for (int i = 0; i < n; i++) {
      out.put(2 * i, words.get(at + 4 * i));
      out.put(2 * i + 1, words.get(at + 4 * i + 1));
    }
    return out;
  }

  /**
   * torch's float32 to bfloat16 rounding ({@code c10::round_to_nearest_even}) on the device: with
   * {@code u} the float32's bits as an unsigned integer, the result is {@code (u + 0x7fff + ((u >>
   * 16) & 1)) >> 16}, and 0x7fc0 for a NaN. Computed in float64, which holds every such integer
   * exactly, since DJL offers no unsigned or bitwise integer arithmetic; returns int32 values in
   * [0, 0xffff].
   */
  private static NDArray narrowToBfloat16Bits(NDArray values) {
    NDManager manager = values.getManager();
    NDArray f32 = values.toType(DataType.FLOAT32, false);
    // The same bytes read as int32: a reinterpretation, by downloading and uploading the bytes.
    NDArray signed = upload(manager, f32.toByteBuffer(), DataType.INT32, shapeList(f32.getShape()));
    NDArray s = signed.toType(DataType.FLOAT64, false);
    NDArray u = s.add(s.lt(0).toType(DataType.FLOAT64, false).mul(4294967296.0));
    NDArray high = u.div(65536.0).floor();
    NDArray lsb = high.sub(high.div(2.0).floor().mul(2.0));
    NDArray rounded = u.add(lsb).add(32767.0).div(65536.0).floor();
    NDArray nan = f32.isNaN().toType(DataType.FLOAT64, false);
    NDArray result = rounded.mul(nan.neg().add(1.0)).add(nan.mul(32704.0));
    return result.toType(DataType.INT32, false);
  }

  private static List<Long> shapeList(Shape shape) {
    List<Long> dims = new java.util.ArrayList<>();
    for (long d : shape.getShape()) {
      dims.add(d);
    }
    return dims;
  }

  private static ByteBuffer download(NDArray array) {
    ByteBuffer data = array.toByteBuffer();
    ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    out.put(data.duplicate());
    return out.flip();
  }

  private static ByteBuffer empty() {
    return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static Shape shapeOf(List<Long> shape) {
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = shape.get(i);
    }
    return new Shape(dims);
  }

  private static long numel(List<Long> shape) {
    long n = 1;
    for (long s : shape) {
      if (s < 0) {
        throw new IllegalArgumentException("negative size in shape " + shape);
      }
      n = Math.multiplyExact(n, s);
    }
    return n;
  }

  private static long checkedBytes(ByteBuffer buffer, DType dtype, List<Long> shape, String what) {
    long expected = Math.multiplyExact(numel(shape), dtype.itemSize());
    if (buffer.remaining() != expected) {
      throw new IllegalArgumentException(
          what
              + " holds "
              + buffer.remaining()
              + " bytes, but "
              + dtype.torchName()
              + " "
              + shape
              + " needs "
              + expected);
    }
    return expected;
  }
}
