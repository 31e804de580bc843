package dev.graft.architecture;

import dev.graft.shared.BlobGc;
import org.springframework.stereotype.Component;

/** Tells the blob collector whether an architecture row names a blob. */
@Component
class ArchitectureBlobReferences implements BlobGc.References {

  private final ArchitectureStore architectures;

  ArchitectureBlobReferences(ArchitectureStore architectures) {
    this.architectures = architectures;
  }

  @Override
  public boolean refersTo(String sha256) {
    return architectures.existsBySha256(sha256);
  }
}
