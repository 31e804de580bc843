package dev.graft.warmstart.internal;

import dev.graft.format.DType;

/**
 * The tensor engine cannot do what a plan entry needs, typically because the device cannot hold its
 * dtype (for DJL 0.36's PyTorch engine: unsigned 16/32/64-bit, complex and float8 types).
 *
 * <p>Operations do not know the state-dict key they work for, so the executor adds it with {@link
 * #forKey(String)} before reporting; the message then names both key and dtype.
 */
public class EngineUnsupported extends RuntimeException {

  private final String key;
  private final DType dtype;
  private final String reason;

  /**
   * Creates the exception.
   *
   * @param key the state-dict key concerned, or {@code null} when not yet known
   * @param dtype the dtype concerned
   * @param reason what cannot be done and why, e.g. {@code cast: DJL's PyTorch engine cannot hold
   *     bfloat16}
   */
  public EngineUnsupported(String key, DType dtype, String reason) {
    super(message(key, dtype, reason));
    this.key = key;
    this.dtype = dtype;
    this.reason = reason;
  }

  /** The same failure, naming the state-dict key it happened for. */
  public EngineUnsupported forKey(String key) {
    return new EngineUnsupported(key, dtype, reason);
  }

  /** The key concerned, or {@code null} when not yet known. */
  public String key() {
    return key;
  }

  /** The dtype concerned. */
  public DType dtype() {
    return dtype;
  }

  /** What cannot be done. */
  public String reason() {
    return reason;
  }

  private static String message(String key, DType dtype, String reason) {
    String where = key == null ? "" : " for '" + key + "'";
    return "tensor engine cannot " + reason + where + " (dtype " + dtype.torchName() + ")";
  }
}
