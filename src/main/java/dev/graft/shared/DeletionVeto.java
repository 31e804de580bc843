package dev.graft.shared;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A say in whether a checkpoint or an architecture may be deleted, given by every feature whose
 * rows use one (the registry for lineage, warm-start runs for queued and running runs). It is the
 * deletion counterpart of {@link BlobGc.References}.
 *
 * <p>The protocol, which makes a check and the delete one step for anyone who uses the row:
 *
 * <ul>
 *   <li>the owner locks its row {@code FOR UPDATE}, asks every veto, and deletes, all in one
 *       transaction;
 *   <li>a user that inserts a row naming it (run submission, version registration) first locks it
 *       {@code FOR KEY SHARE} in the inserting transaction ({@code CheckpointService.pin}, {@code
 *       ArchitectureService.pin}).
 * </ul>
 *
 * <p>{@code FOR UPDATE} and {@code FOR KEY SHARE} conflict, so either the user commits first and
 * the veto, asked after the delete's lock is granted, sees its row; or the delete locks first and
 * the user waits, then finds the row gone. A run can no longer be queued in the instant between the
 * check and the delete.
 */
@FunctionalInterface
public interface DeletionVeto {

  /** What is being deleted. */
  enum ResourceKind {
    CHECKPOINT("checkpoint"),
    ARCHITECTURE("architecture");

    private final String word;

    ResourceKind(String word) {
      this.word = word;
    }

    /** The resource's name in messages: {@code checkpoint}, {@code architecture}. */
    public String word() {
      return word;
    }
  }

  /**
   * Why the resource must not be deleted now, or empty when this feature does not object. Called
   * inside the delete's transaction, with the resource's row locked {@code FOR UPDATE}; reads
   * committed rows.
   */
  Optional<String> whyNot(ResourceKind kind, UUID id);

  /**
   * Asks every veto, in order, inside the caller's transaction.
   *
   * @throws StillInUse with the first objection
   */
  static void check(List<DeletionVeto> vetoes, ResourceKind kind, UUID id) {
    for (DeletionVeto veto : vetoes) {
      Optional<String> why = veto.whyNot(kind, id);
      if (why.isPresent()) {
        throw new StillInUse(why.get());
      }
    }
  }
}
