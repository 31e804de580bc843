package dev.graft.checkpoint;

import java.util.List;

/**
 * One tensor of a checkpoint's index, as listed by the API.
 *
 * @param key the state-dict key
 * @param dtype torch's dtype name without prefix, e.g. {@code float32}
 * @param shape sizes; empty for a 0-dim tensor
 * @param numel elements
 * @param sizeBytes bytes of its elements
 * @param requiresGrad the saved parameter's {@code requires_grad}; absent for plain tensors
 */
public record CheckpointTensor(
    String key, String dtype, List<Long> shape, long numel, long sizeBytes, Boolean requiresGrad) {}
