package dev.graft.warmstart;

import dev.graft.shared.StateConflict;
import java.util.UUID;

/** A run that already succeeded or failed cannot be cancelled: there is nothing left to stop. */
public class RunAlreadyEnded extends StateConflict {

  public RunAlreadyEnded(UUID id, RunStatus status) {
    super("run " + id + " already ended " + status);
  }
}
