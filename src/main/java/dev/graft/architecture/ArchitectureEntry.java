package dev.graft.architecture;

import dev.graft.plan.EntryKind;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * One key of a target architecture.
 *
 * @param key the state-dict key
 * @param dtype torch's dtype name without prefix
 * @param shape sizes; empty for a 0-dim entry
 * @param kind PARAMETER, BUFFER, or UNKNOWN when the source does not say (a plain {@code
 *     state_dict()} or safetensors file)
 * @param requiresGrad whether the entry is trained; for UNKNOWN kind Graft assumes what {@code
 *     nn.Parameter} does for floating-point entries and {@code false} otherwise
 * @param init the init scheme of a JSON entry ({@code scheme} plus its parameters), else absent
 * @param numel elements
 */
@Schema(requiredProperties = {"key", "dtype", "shape", "kind", "requiresGrad", "init", "numel"})
public record ArchitectureEntry(
    String key,
    @Schema(example = "float32") String dtype,
    List<Long> shape,
    EntryKind kind,
    boolean requiresGrad,
    @Schema(
            implementation = InitSpec.class,
            nullable = true,
            description = "The init scheme of a JSON entry; null for file sources")
        Map<String, Object> init,
    long numel) {}
