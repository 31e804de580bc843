package dev.graft.warmstart.internal;

import dev.graft.format.DType;
import dev.graft.plan.Init;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The one small interface the run executor drives, so that the same plan executes on the CPU or a
 * GPU.
 *
 * <p>Every operation works on one tensor at a time, so memory stays bounded by the largest tensor.
 * Inputs and outputs are row-major little-endian bytes: an input must hold exactly {@code numel *
 * itemSize} bytes between its position and limit (its position is left unchanged), and an output
 * holds exactly {@code numel * itemSize} bytes of the output dtype from position 0, in {@link
 * java.nio.ByteOrder#LITTLE_ENDIAN} order, owned by the caller and independent of the engine's
 * lifetime.
 *
 * <p>Dtypes the device cannot hold make {@link #cast}, {@link #copyOverlap} and {@link #initialize}
 * throw {@link EngineUnsupported}; {@link #copy} works for every dtype.
 */
public interface TensorEngine extends AutoCloseable {

  /** The device the work runs on, as the run record names it: {@code cpu} or {@code cuda:0}. */
  String device();

  /**
   * Whether the device can hold tensors of this dtype (casts, overlap copies and inits need it).
   */
  boolean supports(DType dtype);

  /**
   * Returns the tensor's bytes unchanged: the identity, which needs no device and so works for any
   * dtype.
   *
   * @param source the tensor's bytes
   * @param dtype the tensor's dtype
   * @param shape the tensor's sizes, empty for a 0-dim tensor
   */
  ByteBuffer copy(ByteBuffer source, DType dtype, List<Long> shape);

  /**
   * Converts a tensor to another dtype on the device, as {@code torch.empty(shape,
   * dtype=to).copy_(src)} does.
   *
   * @param source the tensor's bytes in {@code from}
   * @param from the source dtype
   * @param to the output dtype
   * @param shape the tensor's sizes
   * @throws EngineUnsupported when the device cannot hold {@code from} or {@code to}
   */
  ByteBuffer cast(ByteBuffer source, DType from, DType to, List<Long> shape);

  /**
   * Returns the target's initial value with its overlapping block {@code [:min(s0,t0), :min(s1,t1),
   * ...]} replaced by the source's, converted to the target dtype; done on the device.
   *
   * @param source the checkpoint tensor's bytes
   * @param sourceDtype the checkpoint tensor's dtype
   * @param sourceShape the checkpoint tensor's sizes
   * @param targetInitial the target entry's initial value (not modified)
   * @param targetDtype the target entry's dtype, the output's dtype
   * @param targetShape the target entry's sizes, the output's sizes; same rank as {@code
   *     sourceShape}
   * @throws EngineUnsupported when the device cannot hold either dtype
   * @throws IllegalArgumentException when the ranks differ
   */
  ByteBuffer copyOverlap(
      ByteBuffer source,
      DType sourceDtype,
      List<Long> sourceShape,
      ByteBuffer targetInitial,
      DType targetDtype,
      List<Long> targetShape);

  /**
   * Generates a JSON architecture entry's initial value on the device. The same {@code (seed, key,
   * scheme, shape)} gives the same bytes on the same device type; that is reproducibility within
   * Graft, not equality with what torch's own {@code torch.nn.init} would draw.
   *
   * @param init the entry's init scheme and its parameter values
   * @param dtype the entry's dtype
   * @param shape the entry's sizes
   * @param seed the run's {@code initSeed}
   * @param key the entry's key; mixed into the seed so entries draw different values
   * @throws EngineUnsupported when the device cannot hold the dtype, or a random scheme meets a
   *     non-floating dtype
   * @throws IllegalArgumentException for a missing parameter, or fans that cannot be computed
   *     (fewer than 2 dimensions)
   */
  ByteBuffer initialize(Init init, DType dtype, List<Long> shape, long seed, String key);

  /** Releases the device resources; never throws a checked exception. */
  @Override
  void close();
}
