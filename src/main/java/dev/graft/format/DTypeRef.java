package dev.graft.format;

/**
 * A {@code torch.<dtype>} object from a pickle, e.g. {@code torch.float32}.
 *
 * @param dtype the type
 */
public record DTypeRef(DType dtype) {}
