package dev.graft.plan;

import dev.graft.format.CheckpointIndex;
import java.util.List;
import java.util.Objects;

/**
 * One checkpoint a plan loads from, with its own key rules and globs (see {@link CheckpointSource},
 * which names the checkpoint by id).
 *
 * @param checkpoint the checkpoint's index
 * @param keyRules rules applied to its keys after the options' rules
 * @param include globs over rewritten keys; all keys when empty
 * @param exclude globs over rewritten keys
 */
public record PlanSource(
    CheckpointIndex checkpoint,
    List<KeyRule> keyRules,
    List<String> include,
    List<String> exclude) {

  /** Copies the lists, a {@code null} list being empty. */
  public PlanSource {
    Objects.requireNonNull(checkpoint, "checkpoint");
    keyRules =
        keyRules == null
            ? List.of()
            : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(keyRules));
    include =
        include == null
            ? List.of()
            : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(include));
    exclude =
        exclude == null
            ? List.of()
            : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(exclude));
  }

  /** A whole checkpoint, as {@code checkpointId} loads it. */
  public static PlanSource of(CheckpointIndex checkpoint) {
    return new PlanSource(checkpoint, List.of(), List.of(), List.of());
  }

  /** The source of the same checkpoint described by {@code spec}. */
  public static PlanSource of(CheckpointIndex checkpoint, CheckpointSource spec) {
    return new PlanSource(checkpoint, spec.keyRules(), spec.include(), spec.exclude());
  }
}
