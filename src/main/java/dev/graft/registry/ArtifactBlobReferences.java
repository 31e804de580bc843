package dev.graft.registry;

import dev.graft.shared.BlobGc;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Tells the blob collector whether a model artifact row names a blob. */
@Component
class ArtifactBlobReferences implements BlobGc.References {

  private final JdbcClient jdbc;

  ArtifactBlobReferences(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean refersTo(String sha256) {
    return jdbc.sql("select exists (select 1 from model_artifact where sha256 = ?)")
        .param(sha256)
        .query(Boolean.class)
        .single();
  }
}
