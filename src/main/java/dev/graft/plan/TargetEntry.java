package dev.graft.plan;

import dev.graft.format.DType;
import java.util.List;
import java.util.Objects;

/**
 * One entry of the target model's {@code state_dict()}: what a checkpoint tensor must fit into.
 *
 * @param key the state-dict key, e.g. {@code layer1.0.conv1.weight}
 * @param dtype the entry's element type
 * @param shape the entry's sizes, empty for a 0-dim tensor
 * @param kind parameter, buffer or unknown
 * @param requiresGrad whether the entry will be trained (always {@code false} for buffers)
 * @param hasInitialValue whether the architecture holds the entry's initial value (a saved fresh
 *     model), as opposed to only an init scheme
 * @param init how to initialise the entry when it has no initial value; {@code null} when not given
 */
public record TargetEntry(
    String key,
    DType dtype,
    List<Long> shape,
    EntryKind kind,
    boolean requiresGrad,
    boolean hasInitialValue,
    Init init) {

  /** Checks the required fields and copies the shape. */
  public TargetEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(kind, "kind");
    shape = List.copyOf(shape);
  }

  /** Number of elements: the product of the shape (1 for a 0-dim entry). */
  public long numel() {
    return Shapes.numel(shape);
  }
}
