package dev.graft.checkpoint;

import dev.graft.shared.BlobGc;
import org.springframework.stereotype.Component;

/** Tells the blob collector whether a checkpoint row names a blob. */
@Component
class CheckpointBlobReferences implements BlobGc.References {

  private final CheckpointStore checkpoints;

  CheckpointBlobReferences(CheckpointStore checkpoints) {
    this.checkpoints = checkpoints;
  }

  @Override
  public boolean refersTo(String sha256) {
    return checkpoints.existsBySha256(sha256);
  }
}
