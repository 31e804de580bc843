package dev.graft.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One tensor a writer will receive: its state-dict key, element type and shape. A writer is given
 * the whole list up front (from the load plan) so that it can lay out the file before any data
 * arrives; each tensor's data is then its {@link #sizeBytes()} contiguous little-endian bytes in
 * row-major order.
 *
 * @param key the state-dict key; any string that UTF-8 can encode (no unpaired surrogates)
 * @param dtype the element type
 * @param shape the sizes, each non-negative; empty for a 0-dim tensor
 */
public record OutputTensor(String key, DType dtype, List<Long> shape) {

  /**
   * Checks and copies the fields.
   *
   * @throws NullPointerException when a field or a dimension is null
   * @throws IllegalArgumentException when the key has an unpaired surrogate (neither format can
   *     store it), a dimension is negative, or the byte size overflows a long
   */
  public OutputTensor {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(dtype, "dtype");
    shape = List.copyOf(shape);
    if (!wellFormedUtf16(key)) {
      throw new IllegalArgumentException(
          "tensor key " + FormatException.quote(key) + " has an unpaired surrogate");
    }
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor " + FormatException.quote(key) + " has a negative dimension in " + shape);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "tensor " + FormatException.quote(key) + " of shape " + shape + " is too large");
      }
    }
    try {
      Math.multiplyExact(n, dtype.itemSize());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "tensor " + FormatException.quote(key) + " of shape " + shape + " is too large");
    }
  }

  /**
   * A tensor from its sizes, for brevity.
   *
   * @throws IllegalArgumentException as the canonical constructor does
   */
  public static OutputTensor of(String key, DType dtype, long... shape) {
    List<Long> dims = new ArrayList<>(shape.length);
    for (long d : shape) {
      dims.add(d);
    }
    return new OutputTensor(key, dtype, dims);
  }

  /** Number of elements: the product of the shape (1 for a 0-dim tensor, 0 for an empty one). */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d; // cannot overflow: checked in the constructor
    }
    return n;
  }

  /** Bytes of the tensor's data, {@code numel * itemSize}. */
  public long sizeBytes() {
    return numel() * dtype.itemSize();
  }

  /**
   * The row-major strides torch gives a contiguous tensor of this shape: {@code stride[i] =
   * stride[i+1] * max(shape[i+1], 1)}, so dimensions of size 0 do not zero the strides before them.
   */
  public List<Long> contiguousStrides() {
    Long[] strides = new Long[shape.size()];
    long stride = 1;
    for (int i = shape.size() - 1; i >= 0; i--) {
      strides[i] = stride;
      stride *= Math.max(shape.get(i), 1L);
    }
    return List.of(strides);
  }

  /** Whether {@code s} has no unpaired surrogate, so that UTF-8 can encode it. */
  static boolean wellFormedUtf16(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
