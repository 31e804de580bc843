package dev.graft.format;

import java.nio.ByteOrder;
import java.util.List;

/**
 * One entry of a checkpoint's tensor index: what the tensor is (key, dtype, shape) and exactly
 * where its elements sit in the file, so that it can later be read or memory-mapped without parsing
 * again.
 *
 * @param key the state-dict key
 * @param dtype the element type
 * @param shape the sizes, empty for a 0-dim tensor
 * @param strides element strides, one per dimension
 * @param storageOffset the tensor's first element, counted in elements from the start of its
 *     storage
 * @param storageKey the storage the tensor views: the zip record name for torch files (tensors that
 *     share a storage share this key), the tensor key for safetensors
 * @param storageDataOffset the absolute byte offset in the file of the storage's first byte
 * @param storageBytes the storage's length in bytes
 * @param byteOrder the byte order of the stored elements
 * @param parameter whether the file stored it as an {@code nn.Parameter}
 * @param requiresGrad the parameter's {@code requires_grad}; {@code null} for a plain tensor
 */
public record TensorInfo(
    String key,
    DType dtype,
    List<Long> shape,
    List<Long> strides,
    long storageOffset,
    String storageKey,
    long storageDataOffset,
    long storageBytes,
    ByteOrder byteOrder,
    boolean parameter,
    Boolean requiresGrad) {

  public TensorInfo {
    shape = List.copyOf(shape);
    strides = List.copyOf(strides);
  }

  /** Number of elements: the product of the shape (1 for a 0-dim tensor). */
  public long numel() {
    long n = 1;
    for (long s : shape) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }

  /** Bytes of the tensor's own elements, {@code numel * itemSize}. */
  public long sizeBytes() {
    return Math.multiplyExact(numel(), dtype.itemSize());
  }

  /** Whether the elements lie in row-major order without gaps. */
  public boolean contiguous() {
    long expected = 1;
    for (int i = shape.size() - 1; i >= 0; i--) {
      if (shape.get(i) != 1 && strides.get(i) != expected) {
        return false;
      }
      expected *= shape.get(i);
    }
    return true;
  }

  /** Absolute file offset of the first byte any element of this tensor occupies. */
  public long byteStart() {
    return storageDataOffset + storageOffset * dtype.itemSize();
  }

  /**
   * Absolute file offset one past the last byte any element of this tensor occupies; equal to
   * {@link #byteStart()} for an empty tensor.
   */
  public long byteEnd() {
    if (numel() == 0) {
      return byteStart();
    }
    long last = 0;
    for (int i = 0; i < shape.size(); i++) {
      last += (shape.get(i) - 1) * strides.get(i);
    }
    return byteStart() + (last + 1) * dtype.itemSize();
  }
}
