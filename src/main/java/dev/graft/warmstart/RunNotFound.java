package dev.graft.warmstart;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No run has this id. */
public class RunNotFound extends NotFound {

  public RunNotFound(UUID id) {
    super("warm-start run " + id + " does not exist");
  }
}
