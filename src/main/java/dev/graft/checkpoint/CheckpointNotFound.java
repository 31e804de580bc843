package dev.graft.checkpoint;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No checkpoint has this id. */
public class CheckpointNotFound extends NotFound {

  public CheckpointNotFound(UUID id) {
    super("checkpoint " + id + " does not exist");
  }
}
