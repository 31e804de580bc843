package dev.graft.architecture;

import dev.graft.plan.EntryKind;
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
public record ArchitectureEntry(
    String key,
    String dtype,
    List<Long> shape,
    EntryKind kind,
    boolean requiresGrad,
    Map<String, Object> init,
    long numel) {}
