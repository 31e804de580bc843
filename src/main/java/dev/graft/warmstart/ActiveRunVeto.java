package dev.graft.warmstart;

import dev.graft.shared.DeletionVeto;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Refuses deleting a checkpoint or an architecture that a queued or running run uses; a finished
 * run keeps naming what it used after that is deleted.
 */
@Component
class ActiveRunVeto implements DeletionVeto {

  private final RunStore runs;

  ActiveRunVeto(RunStore runs) {
    this.runs = runs;
  }

  @Override
  public Optional<String> whyNot(ResourceKind kind, UUID id) {
    boolean used =
        switch (kind) {
          case CHECKPOINT -> runs.activeRunUses(id, null);
          case ARCHITECTURE -> runs.activeRunUses(null, id);
        };
    return used
        ? Optional.of(kind.word() + " " + id + " is used by a queued or running warm-start run")
        : Optional.empty();
  }
}
