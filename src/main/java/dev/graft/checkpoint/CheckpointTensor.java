package dev.graft.checkpoint;

import io.swagger.v3.oas.annotations.media.Schema;
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
@Schema(requiredProperties = {"key", "dtype", "shape", "numel", "sizeBytes", "requiresGrad"})
public record CheckpointTensor(
    String key,
    @Schema(description = "torch's dtype name without prefix", example = "float32") String dtype,
    @Schema(description = "Sizes; empty for a 0-dim tensor") List<Long> shape,
    long numel,
    long sizeBytes,
    @Schema(
            nullable = true,
            description = "The saved parameter's requires_grad; null for plain tensors")
        Boolean requiresGrad) {}
