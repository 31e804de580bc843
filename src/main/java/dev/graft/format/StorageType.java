package dev.graft.format;

/**
 * A storage class global such as {@code torch.FloatStorage}, as a persistent id names it.
 *
 * @param name the class name as the pickle wrote it
 * @param dtype the element type it stores ({@code uint8} for {@code UntypedStorage})
 */
public record StorageType(String name, DType dtype) {}
