package dev.graft.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.registry.Safetensors;
import dev.graft.storage.BlobStore;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@code DELETE /api/v1/architectures/{id}}: rows and blob go, unless a version or an active run
 * uses it.
 */
class ArchitectureDeletionTests extends IntegrationTest {

  @Autowired BlobStore blobs;
  @Autowired JdbcClient jdbc;

  /**
   * A run another worker holds under a long lease: active, and never claimed by this process's
   * worker, so the test decides when it ends.
   */
  private UUID runHeldElsewhere(UUID checkpointId, UUID architectureId) {
    UUID id = UUID.randomUUID();
    jdbc.sql(
            "insert into warm_start_run (id, status, checkpoint_id, architecture_id, options, output, max_attempts,"
                + " lease_owner, lease_expires_at, created_at) values (?, 'RUNNING', ?, ?, '{}', '{}', 1, 'elsewhere', ?, ?)")
        .params(
            id,
            checkpointId,
            architectureId,
            Timestamp.from(Instant.now().plusSeconds(3600)),
            Timestamp.from(Instant.now()))
        .update();
    return id;
  }

  private void end(UUID run) {
    jdbc.sql("update warm_start_run set status = 'CANCELLED', lease_owner = null where id = ?")
        .param(run)
        .update();
  }

  @Test
  void shouldDeleteAnArchitectureItsEntriesAndItsBlob() throws Exception {
    HttpResponse<String> created =
        postJson("/api/v1/architectures", Safetensors.uniqueArchitectureJson());
    String id = json(created).get("id").asString();
    String sha = json(created).get("sha256").asString();
    assertThat(blobs.exists(sha)).isTrue();

    assertThat(delete("/api/v1/architectures/" + id).statusCode()).isEqualTo(204);
    assertThat(get("/api/v1/architectures/" + id).statusCode()).isEqualTo(404);
    assertThat(get("/api/v1/architectures/" + id + "/entries").statusCode()).isEqualTo(404);
    assertThat(blobs.exists(sha)).isFalse();
    assertThat(delete("/api/v1/architectures/" + id).statusCode()).isEqualTo(404);
  }

  @Test
  void shouldRefuseDeletingAnArchitectureOrCheckpointAQueuedOrRunningRunUses() throws Exception {
    String arch =
        json(postJson("/api/v1/architectures", Safetensors.uniqueArchitectureJson()))
            .get("id")
            .asString();
    String ckpt =
        json(postBytes("/api/v1/checkpoints?name=in-use", Safetensors.unique()))
            .get("id")
            .asString();
    UUID run = runHeldElsewhere(UUID.fromString(ckpt), UUID.fromString(arch));
    try {
      HttpResponse<String> a = delete("/api/v1/architectures/" + arch);
      assertThat(a.statusCode()).as(a.body()).isEqualTo(409);
      assertThat(json(a).get("detail").asString()).contains("queued or running");
      assertThat(delete("/api/v1/checkpoints/" + ckpt).statusCode()).isEqualTo(409);
    } finally {
      end(run);
    }
    assertThat(delete("/api/v1/architectures/" + arch).statusCode()).isEqualTo(204);
    assertThat(delete("/api/v1/checkpoints/" + ckpt).statusCode()).isEqualTo(204);
  }
}
