package dev.graft.format.pickle;

import dev.graft.format.DType;

/**
 * A torch storage class global such as {@code torch.FloatStorage}, as a pickle's persistent id
 * names it for a tensor's storage; nothing to do with Graft's blob storage.
 *
 * @param name the class name as the pickle wrote it
 * @param dtype the element type it stores ({@code uint8} for {@code UntypedStorage})
 */
record StorageClass(String name, DType dtype) {}
