package dev.graft.format.pickle;

import java.util.List;

/**
 * A tensor as {@code torch._utils._rebuild_tensor_v2} would rebuild it: a view of a storage.
 *
 * @param storage the viewed storage
 * @param storageOffset the first element, counted in elements from the storage's start
 * @param size the sizes
 * @param stride the strides in elements
 * @param requiresGrad the saved {@code requires_grad}
 */
public record TensorRef(
    StorageRef storage,
    long storageOffset,
    List<Long> size,
    List<Long> stride,
    boolean requiresGrad) {

  /** Copies sizes and strides so the record stays immutable. */
  public TensorRef {
    size = List.copyOf(size);
    stride = List.copyOf(stride);
  }
}
