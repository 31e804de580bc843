package dev.graft.shared;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.registry.RegistryService;
import dev.graft.registry.Safetensors;
import dev.graft.registry.TestVersions;
import dev.graft.storage.BlobStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Blob collection over HTTP against the real database and store: a blob goes once no row names it,
 * and never while a row (committed by a concurrent upload of the same bytes) does.
 */
class BlobGcTests extends IntegrationTest {

  private static final int ROUNDS = 10;

  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired RegistryService registry;
  @Autowired TransactionTemplate tx;
  @Autowired JdbcClient jdbc;

  private ExecutorService pool;

  @BeforeEach
  void setUp() {
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  private <T> List<T> race(Callable<T> a, Callable<T> b) throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    Future<T> fa =
        pool.submit(
            () -> {
              start.await();
              return a.call();
            });
    Future<T> fb =
        pool.submit(
            () -> {
              start.await();
              return b.call();
            });
    return List.of(fa.get(30, TimeUnit.SECONDS), fb.get(30, TimeUnit.SECONDS));
  }

  private long checkpointRows(String sha) {
    return jdbc.sql("select count(*) from checkpoint where sha256 = ?")
        .param(sha)
        .query(Long.class)
        .single();
  }

  @Test
  void shouldStoreOneCheckpointAndOneBlobWhenTwoClientsUploadTheSameBytesAtOnce() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      byte[] bytes = Safetensors.unique(64 * 1024);
      List<HttpResponse<String>> r =
          race(
              () -> postBytes("/api/v1/checkpoints?name=twin", bytes),
              () -> postBytes("/api/v1/checkpoints?name=twin", bytes));
      assertThat(r).extracting(HttpResponse::statusCode).containsExactlyInAnyOrder(200, 201);
      assertThat(json(r.get(0)).get("id").asString())
          .isEqualTo(json(r.get(1)).get("id").asString());
      String sha = sha256(bytes);
      assertThat(checkpointRows(sha)).isEqualTo(1);
      assertThat(blobs.exists(sha)).isTrue();
      HttpResponse<byte[]> content =
          http.send(
              HttpRequest.newBuilder(
                      uri(
                          "/api/v1/checkpoints/"
                              + json(r.get(0)).get("id").asString()
                              + "/content"))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(content.body()).isEqualTo(bytes);
    }
  }

  @Test
  void shouldStoreOneArchitectureWhenTwoClientsPostTheSameDescriptionAtOnce() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String body = Safetensors.uniqueArchitectureJson();
      List<HttpResponse<String>> r =
          race(
              () -> postJson("/api/v1/architectures", body),
              () -> postJson("/api/v1/architectures", body));
      assertThat(r).extracting(HttpResponse::statusCode).containsExactlyInAnyOrder(200, 201);
      assertThat(json(r.get(0)).get("id").asString())
          .isEqualTo(json(r.get(1)).get("id").asString());
    }
  }

  @Test
  void shouldNeverLeaveACheckpointWithoutItsBlobWhenItIsDeletedWhileUploadedAgain()
      throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      byte[] bytes = Safetensors.unique(64 * 1024);
      String sha = sha256(bytes);
      HttpResponse<String> first = postBytes("/api/v1/checkpoints?name=phoenix", bytes);
      assertThat(first.statusCode()).isEqualTo(201);
      String id = json(first).get("id").asString();

      List<HttpResponse<String>> r =
          race(
              () -> delete("/api/v1/checkpoints/" + id),
              () -> postBytes("/api/v1/checkpoints?name=phoenix", bytes));
      assertThat(r.get(0).statusCode()).as(r.get(0).body()).isEqualTo(204);
      assertThat(r.get(1).statusCode()).as(r.get(1).body()).isIn(200, 201);

      // The invariant: a row has its blob. And nothing is left behind when no row survived.
      assertThat(blobs.exists(sha)).as("round " + round).isEqualTo(checkpointRows(sha) == 1);
      if (r.get(1).statusCode() == 201) {
        String again = json(r.get(1)).get("id").asString();
        HttpResponse<byte[]> content =
            http.send(
                HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + again + "/content")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(content.body()).isEqualTo(bytes);
      }
    }
  }

  @Test
  void shouldKeepACheckpointsBlobWhileAModelArtifactHoldsTheSameBytes() throws Exception {
    byte[] bytes = Safetensors.unique();
    String sha = sha256(bytes);
    String id = json(postBytes("/api/v1/checkpoints?name=twice-named", bytes)).get("id").asString();
    TestVersions versions = new TestVersions(registry, blobs, gc, tx);
    String model = TestVersions.uniqueModel("same-bytes");
    versions.register(model, Map.of(), List.of(), bytes, UUID.randomUUID(), UUID.randomUUID());

    assertThat(delete("/api/v1/checkpoints/" + id).statusCode()).isEqualTo(204);
    assertThat(blobs.exists(sha)).isTrue();
    assertThat(delete("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(204);
    assertThat(blobs.exists(sha)).isFalse();
  }

  @Test
  void shouldMakeTheCollectorWaitForAWriterHoldingTheLockAndThenKeepTheBlobItsRowNames()
      throws Exception {
    byte[] bytes = TestVersions.uniqueBytes(128);
    String sha = sha256(bytes);
    try (var pending = blobs.write(new java.io.ByteArrayInputStream(bytes), Long.MAX_VALUE)) {
      pending.commit(); // an older copy nobody names any more: what a collector is about to remove
    }
    java.util.concurrent.CountDownLatch locked = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    String model = TestVersions.uniqueModel("writer-first");
    Future<?> writer =
        pool.submit(
            () ->
                tx.executeWithoutResult(
                    status ->
                        // What the executor does: under the lock, insert the row naming the blob.
                        gc.underLock(
                            sha,
                            () -> {
                              registry.register(
                                  new dev.graft.registry.NewVersion(
                                      model,
                                      null,
                                      Map.of(),
                                      List.of(),
                                      UUID.randomUUID(),
                                      new dev.graft.registry.ModelVersion.Lineage(
                                          UUID.randomUUID(),
                                          sha,
                                          UUID.randomUUID(),
                                          dev.graft.plan.LoadOptions.defaults()),
                                      TestVersions.SUMMARY,
                                      List.of(
                                          new dev.graft.registry.ModelVersion.Artifact(
                                              dev.graft.registry.ArtifactFormat.SAFETENSORS,
                                              sha,
                                              bytes.length))));
                              locked.countDown();
                              try {
                                release.await(10, TimeUnit.SECONDS);
                              } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                              }
                              return null;
                            })));
    assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Boolean> collected = pool.submit(() -> gc.collect(sha));
    awaitAWaitingAdvisoryLock();
    assertThat(collected).as("the collector waits for the writer's lock").isNotDone();
    release.countDown();
    writer.get(10, TimeUnit.SECONDS);
    assertThat(collected.get(10, TimeUnit.SECONDS))
        .as("the collector saw the committed row")
        .isFalse();
    assertThat(blobs.exists(sha)).isTrue();
  }

  @Test
  void shouldMakeAnUploadWaitWhileItsBytesAreBeingCollected() throws Exception {
    byte[] bytes = Safetensors.unique();
    String sha = sha256(bytes);
    // Warm the upload path, so that only the lock can keep the upload below from finishing in time.
    assertThat(postBytes("/api/v1/checkpoints?name=warm-up", Safetensors.unique()).statusCode())
        .isEqualTo(201);
    java.util.concurrent.CountDownLatch locked = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    // Holds the blob's lock as a collector does between its reference check and its delete.
    Future<?> collector =
        pool.submit(
            () ->
                tx.executeWithoutResult(
                    status ->
                        gc.underLock(
                            sha,
                            () -> {
                              locked.countDown();
                              try {
                                release.await(10, TimeUnit.SECONDS);
                              } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                              }
                              return null;
                            })));
    assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
    java.util.concurrent.CompletableFuture<HttpResponse<String>> upload =
        http.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=waits"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    awaitAWaitingAdvisoryLock();
    assertThat(upload)
        .as("the upload commits its row and blob only after the collector is done")
        .isNotDone();
    assertThat(checkpointRows(sha)).isZero();
    release.countDown();
    collector.get(10, TimeUnit.SECONDS);
    assertThat(upload.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    assertThat(blobs.exists(sha)).isTrue();
  }

  /**
   * Waits until PostgreSQL shows a session waiting for an advisory lock: proof that the other side
   * is blocked on the lock (not merely slow), without guessing a sleep.
   */
  private void awaitAWaitingAdvisoryLock() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (jdbc.sql("select count(*) from pg_locks where locktype = 'advisory' and not granted")
            .query(Long.class)
            .single()
        == 0) {
      assertThat(System.nanoTime())
          .as("a session waits for the advisory lock")
          .isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void shouldRefuseToLockOutsideATransaction() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> gc.underLock("0".repeat(64), () -> true))
        .isInstanceOf(org.springframework.transaction.IllegalTransactionStateException.class);
  }
}
