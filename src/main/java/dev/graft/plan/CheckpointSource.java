package dev.graft.plan;

import java.util.List;
import java.util.UUID;

/**
 * One of several checkpoints a preview or run loads from, as a request names it: the checkpoint,
 * the key rules that rewrite its keys (after the options' own rules), and the globs that then pick
 * which rewritten keys it offers. Earlier sources win a target key over later ones.
 *
 * @param checkpointId the checkpoint
 * @param keyRules rules applied to this checkpoint's keys only, after {@code options.keyRules}
 * @param include globs over rewritten keys ({@code *} matches any run of characters, dots
 *     included): only matching keys are offered; all keys when empty
 * @param exclude globs over rewritten keys: matching keys are not offered
 */
public record CheckpointSource(
    UUID checkpointId, List<KeyRule> keyRules, List<String> include, List<String> exclude) {

  /** Copies the lists, a {@code null} list being empty. */
  public CheckpointSource {
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

  /** The checkpoint alone: no rules of its own, every key offered. */
  public static CheckpointSource of(UUID checkpointId) {
    return new CheckpointSource(checkpointId, List.of(), List.of(), List.of());
  }
}
