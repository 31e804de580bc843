package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.IntegrationTest;
import dev.graft.storage.BlobStore;
import dev.graft.storage.PendingBlob;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Bytes are stored before their rows, so a failure in between leaves an orphan, never a row without
 * its blob; the sweeper removes orphans past the grace period (never a blob a row names) and
 * expired idempotency keys.
 */
class OrphanSweeperTests extends IntegrationTest {

  @Autowired BlobStore blobs;
  @Autowired OrphanSweeper sweeper;
  @Autowired ContentIngest ingest;
  @Autowired JdbcClient jdbc;

  @Test
  void shouldSweepOrphansPastTheGraceAndKeepNamedBlobsAndFreshKeys() throws Exception {
    byte[] bytes = ("orphan " + UUID.randomUUID()).getBytes();
    String orphan;
    try (PendingBlob p = blobs.write(new ByteArrayInputStream(bytes), 1 << 20)) {
      p.commit();
      orphan = p.sha256();
    }
    String named =
        json(postFile(
                "/api/v1/checkpoints?name=swept-keeps-me",
                resource(ORACLE + "bfloat16_into_float.ckpt.pt")))
            .get("sha256")
            .asString();
    jdbc.sql(
            "insert into idempotency_key (scope, key, fingerprint, created, resource_id, created_at)"
                + " values ('checkpoint', ?, 'f', true, ?, now() - interval '30 days')")
        .params("old-" + UUID.randomUUID(), UUID.randomUUID())
        .update();
    String fresh = "fresh-" + UUID.randomUUID();
    jdbc.sql(
            "insert into idempotency_key (scope, key, fingerprint, created, resource_id)"
                + " values ('checkpoint', ?, 'f', true, ?)")
        .params(fresh, UUID.randomUUID())
        .update();

    OrphanSweeper.Swept first = sweeper.sweep(Duration.ofHours(1));
    assertThat(first.blobs()).as("within the grace").isZero();
    assertThat(first.idempotencyKeys()).isGreaterThanOrEqualTo(1);
    assertThat(blobs.exists(orphan)).isTrue();

    OrphanSweeper.Swept swept = sweeper.sweep(Duration.ofSeconds(-5));
    assertThat(swept.blobs()).isGreaterThanOrEqualTo(1);
    assertThat(blobs.exists(orphan)).isFalse();
    assertThat(blobs.exists(named)).isTrue();
    assertThat(
            jdbc.sql("select count(*) from idempotency_key where key = ?")
                .param(fresh)
                .query(Long.class)
                .single())
        .isEqualTo(1);
  }

  @Test
  void shouldLeaveNoRowAndNoBlobWhenTheTransactionFailsAfterTheBytesWereStored() throws Exception {
    byte[] bytes = ("doomed " + UUID.randomUUID()).getBytes();
    String sha = Sha256.hex(new String(bytes));
    assertThatThrownBy(
            () ->
                ingest.ingest(
                    new ByteArrayInputStream(bytes),
                    "Checkpoint",
                    s -> Optional.empty(),
                    (ch, crc) -> "parsed",
                    (pending, parsed) -> {
                      // The bytes are in the store by now, outside the transaction.
                      assertThat(blobs.exists(pending.sha256())).isTrue();
                      throw new IllegalStateException("the database fell over (injected)");
                    }))
        .hasMessageContaining("injected");
    assertThat(blobs.exists(sha)).as("collected at once, no row names it").isFalse();
    try (var staged = Files.list(DATA_DIR.resolve("blobs").resolve("tmp"))) {
      assertThat(staged.filter(f -> !f.getFileName().toString().startsWith("owner"))).isEmpty();
    }
  }
}
