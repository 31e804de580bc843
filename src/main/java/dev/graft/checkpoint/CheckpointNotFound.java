package dev.graft.checkpoint;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No checkpoint has this id. */
public class CheckpointNotFound extends NotFound {

  public CheckpointNotFound(UUID id) {
    super("checkpoint " + id + " does not exist");
  }

  private CheckpointNotFound(String message) {
    super(message);
  }

  /** The checkpoint has no file of that name (only one uploaded in shards has files). */
  public static CheckpointNotFound file(UUID id, String fileName) {
    return new CheckpointNotFound(
        "checkpoint "
            + id
            + " has no file "
            + dev.graft.shared.Texts.quote(fileName)
            + " (only a checkpoint uploaded in shards has files: its index and each shard)");
  }
}
