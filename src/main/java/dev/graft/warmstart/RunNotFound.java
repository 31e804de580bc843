package dev.graft.warmstart;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No run has this id, or the run has no report yet. */
public class RunNotFound extends NotFound {

  private RunNotFound(String message) {
    super(message);
  }

  /** No run has this id. */
  public RunNotFound(UUID id) {
    this("warm-start run " + id + " does not exist");
  }

  /** The run exists but no worker has planned it yet, so it has no report. */
  public static RunNotFound withoutReport(UUID id, RunStatus status) {
    return new RunNotFound(
        "run "
            + id
            + " is "
            + status
            + " and has no report yet; a worker writes it when it plans the run");
  }
}
