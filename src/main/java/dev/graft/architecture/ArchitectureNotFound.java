package dev.graft.architecture;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No architecture has this id. */
public class ArchitectureNotFound extends NotFound {

  public ArchitectureNotFound(UUID id) {
    super("architecture " + id + " does not exist");
  }
}
