package dev.graft.registry;

import dev.graft.shared.BlobGc;
import org.springframework.stereotype.Component;

/** Tells the blob collector whether a model artifact row names a blob. */
@Component
class ArtifactBlobReferences implements BlobGc.References {

  private final RegistryStore store;

  ArtifactBlobReferences(RegistryStore store) {
    this.store = store;
  }

  @Override
  public boolean refersTo(String sha256) {
    return store.artifactExists(sha256);
  }
}
