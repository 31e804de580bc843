package dev.graft.format.pickle;

import dev.graft.format.DType;

/**
 * A {@code torch.<dtype>} object from a pickle, e.g. {@code torch.float32}.
 *
 * @param dtype the type
 */
record DTypeRef(DType dtype) {}
