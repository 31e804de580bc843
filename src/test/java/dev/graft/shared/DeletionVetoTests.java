package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.HeldDeletions;
import dev.graft.WorkerlessTest;
import dev.graft.registry.RegistryService;
import dev.graft.registry.Safetensors;
import dev.graft.registry.TestVersions;
import dev.graft.shared.DeletionVeto.ResourceKind;
import dev.graft.storage.BlobStore;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.RunStatus;
import dev.graft.warmstart.WarmStartRequest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Deleting a checkpoint or an architecture while a run is submitted or a version registered with
 * it: one side holds its transaction open at the decisive point, PostgreSQL's {@code pg_locks}
 * shows the other waiting for it (no sleeps), and after the release exactly one of the two has
 * happened. Never a queued run or a version that names a deleted checkpoint or architecture.
 */
class DeletionVetoTests extends WorkerlessTest {

  @Autowired RunService runs;
  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;
  @Autowired JdbcClient jdbc;
  @Autowired HeldDeletions held;

  private ExecutorService pool;
  private UUID checkpoint;
  private UUID architecture;

  @BeforeEach
  void setUp() throws Exception {
    pool = Executors.newFixedThreadPool(2);
    checkpoint = id(postBytes("/api/v1/checkpoints?name=contested", Safetensors.unique()));
    architecture = id(postJson("/api/v1/architectures", Safetensors.uniqueArchitectureJson()));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  private static UUID id(HttpResponse<String> created) {
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return UUID.fromString(json(created).get("id").asString());
  }

  private UUID target(ResourceKind kind) {
    return kind == ResourceKind.CHECKPOINT ? checkpoint : architecture;
  }

  private static String path(ResourceKind kind, UUID id) {
    return (kind == ResourceKind.CHECKPOINT ? "/api/v1/checkpoints/" : "/api/v1/architectures/")
        + id;
  }

  private CompletableFuture<HttpResponse<String>> deleteAsync(String path) {
    return http.sendAsync(
        HttpRequest.newBuilder(uri(path)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A transaction that stays open, on a pool thread, after {@code work} until released. */
  private final class OpenTransaction<T> {
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile int backendPid;
    private final Future<T> result;

    OpenTransaction(java.util.function.Supplier<T> work) {
      result =
          pool.submit(
              () ->
                  tx.execute(
                      status -> {
                        T t = work.get();
                        backendPid =
                            jdbc.sql("select pg_backend_pid()").query(Integer.class).single();
                        reached.countDown();
                        try {
                          release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        return t;
                      }));
    }

    int awaitOpen() throws InterruptedException {
      assertThat(reached.await(30, TimeUnit.SECONDS)).as("the transaction did its work").isTrue();
      return backendPid;
    }

    T commit() throws Exception {
      release.countDown();
      return result.get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Waits until PostgreSQL shows a lock request that is not granted because of the session {@code
   * holder}: proof that the other side is blocked on it, not merely slow.
   */
  private void awaitSomeoneBlockedBy(int holder) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (jdbc.sql(
                "select count(*) from pg_locks where not granted and ? = any(pg_blocking_pids(pid))")
            .param(holder)
            .query(Long.class)
            .single()
        == 0) {
      assertThat(System.nanoTime())
          .as("a session waits for a lock held by backend " + holder)
          .isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private long activeRunsNaming(UUID id) {
    return jdbc.sql(
            "select count(*) from warm_start_run where status in ('QUEUED', 'RUNNING')"
                + " and (checkpoint_id = ? or architecture_id = ?)")
        .params(id, id)
        .query(Long.class)
        .single();
  }

  @ParameterizedTest
  @EnumSource(ResourceKind.class)
  void shouldRefuseTheDeleteWhenARunIsSubmittedBeforeItsLock(ResourceKind kind) throws Exception {
    UUID id = target(kind);
    OpenTransaction<Run> submit =
        new OpenTransaction<>(
            () ->
                runs.create(
                        new WarmStartRequest(
                            checkpoint,
                            architecture,
                            null,
                            new WarmStartRequest.Output("contested", null, null, null, null)),
                        null)
                    .resource());
    int submitter = submit.awaitOpen();

    CompletableFuture<HttpResponse<String>> deleting = deleteAsync(path(kind, id));
    awaitSomeoneBlockedBy(submitter);
    assertThat(deleting).as("the delete waits for the submission's pin").isNotDone();

    Run run = submit.commit();
    HttpResponse<String> deleted = deleting.get(30, TimeUnit.SECONDS);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(409);
    assertThat(json(deleted).get("detail").asString()).contains("queued or running");
    assertThat(get(path(kind, id)).statusCode()).isEqualTo(200);
    assertThat(runs.get(run.id()).status()).isEqualTo(RunStatus.QUEUED);

    runs.cancel(run.id());
    assertThat(delete(path(kind, id)).statusCode()).isEqualTo(204);
  }

  @ParameterizedTest
  @EnumSource(ResourceKind.class)
  void shouldRefuseARunSubmittedBetweenTheDeletesCheckAndItsCommit(ResourceKind kind)
      throws Exception {
    UUID id = target(kind);
    HeldDeletions.Hold hold = held.hold(id);
    CompletableFuture<HttpResponse<String>> deleting = deleteAsync(path(kind, id));
    int deleter = hold.awaitHeld();

    CompletableFuture<HttpResponse<String>> submitting =
        http.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/warm-starts"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"checkpointId\":\""
                            + checkpoint
                            + "\",\"architectureId\":\""
                            + architecture
                            + "\",\"output\":{\"model\":\"contested\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    awaitSomeoneBlockedBy(deleter);
    assertThat(submitting).as("the submission waits for the delete's lock").isNotDone();

    hold.release();
    assertThat(deleting.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    HttpResponse<String> submitted = submitting.get(30, TimeUnit.SECONDS);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(422);
    assertThat(json(submitted).get("errors").get(0).get("field").asString())
        .isEqualTo(kind == ResourceKind.CHECKPOINT ? "checkpointId" : "architectureId");
    assertThat(activeRunsNaming(id)).isZero();
  }

  @Test
  void shouldRefuseTheDeleteWhenAVersionIsRegisteredBeforeItsLock() throws Exception {
    TestVersions versions = new TestVersions(registry, blobs, gc, tx);
    String model = TestVersions.uniqueModel("contested");
    OpenTransaction<Integer> register =
        new OpenTransaction<>(
            () ->
                versions
                    .register(
                        model,
                        Map.of(),
                        List.of(),
                        TestVersions.uniqueBytes(64),
                        checkpoint,
                        architecture)
                    .version());
    int registrar = register.awaitOpen();

    CompletableFuture<HttpResponse<String>> deleting =
        deleteAsync(path(ResourceKind.CHECKPOINT, checkpoint));
    awaitSomeoneBlockedBy(registrar);
    assertThat(deleting).as("the delete waits for the registration's pin").isNotDone();

    int version = register.commit();
    HttpResponse<String> deleted = deleting.get(30, TimeUnit.SECONDS);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(409);
    assertThat(json(deleted).get("detail").asString())
        .contains("lineage of model " + model + " version " + version);
    assertThat(get(path(ResourceKind.CHECKPOINT, checkpoint)).statusCode()).isEqualTo(200);
  }
}
