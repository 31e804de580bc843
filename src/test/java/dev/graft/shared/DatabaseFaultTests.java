package dev.graft.shared;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.GatedBody;
import dev.graft.HttpTest;
import dev.graft.RestartablePostgres;
import dev.graft.registry.Safetensors;
import dev.graft.storage.BlobStore;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * PostgreSQL really stopped ({@code pg_ctl stop -m fast}) and started again under the running
 * application, on its own server and data folder: an upload under way answers 503 problem+json with
 * {@code Retry-After} and stores nothing; a run under way is retried once the database is back and
 * ends with the bytes an uninterrupted run gives; the connection pool recovers by itself. The
 * timings are printed, not asserted beyond generous bounds.
 */
@Tag("fault")
class DatabaseFaultTests extends HttpTest {

  private static final RestartablePostgres PG;
  private static final Path OWN_DATA_DIR;

  static {
    try {
      PG = RestartablePostgres.start();
      OWN_DATA_DIR = Files.createTempDirectory("graft-db-fault-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot start PostgreSQL for the fault tests", e);
    }
  }

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", OWN_DATA_DIR::toString);
    registry.add("spring.datasource.url", PG::jdbcUrl);
    registry.add("spring.datasource.username", () -> "postgres");
    // A request waits this long for a connection while the database is down, then answers 503.
    registry.add("spring.datasource.hikari.connection-timeout", () -> "2000");
    registry.add("spring.datasource.hikari.validation-timeout", () -> "1000");
    registry.add("graft.worker.lease", () -> "3s");
  }

  @Autowired JdbcClient jdbc;
  @Autowired BlobStore blobs;
  @Autowired OrphanSweeper sweeper;
  @Autowired TransactionTemplate tx;

  @AfterEach
  void databaseBack() throws IOException {
    PG.startAgain(); // a failed test must not leave the next one without a database
  }

  @Test
  void shouldAnswer503AndStoreNothingWhenTheDatabaseStopsDuringAnUpload() throws Exception {
    byte[] bytes = Safetensors.unique(3_000_000); // 12 MB, past the 4 MiB receive buffers
    String sha = sha256(bytes);
    GatedBody gate = new GatedBody(bytes, bytes.length * 3 / 4);
    CompletableFuture<HttpResponse<String>> upload =
        http.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=pg-outage-upload"))
                .header("Content-Type", "application/octet-stream")
                .POST(
                    HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> gate), bytes.length))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Path staging = OWN_DATA_DIR.resolve("blobs/tmp");
    await("the upload to be streaming into the staging folder", () -> stagedBytes(staging) > 0);

    long t0 = System.nanoTime();
    PG.stop();
    long stopped = millisSince(t0);

    // Every request meets the outage where it first needs the database, here the token lookup.
    long t1 = System.nanoTime();
    HttpResponse<String> listing = get("/api/v1/checkpoints");
    long listingMs = millisSince(t1);
    assertUnavailable(listing);

    gate.open();
    HttpResponse<String> answer = upload.get(60, TimeUnit.SECONDS);
    assertUnavailable(answer);
    assertThat(stagedBytes(staging)).as("staged bytes left").isZero();

    long t2 = System.nanoTime();
    PG.startAgain();
    long started = millisSince(t2);
    long t3 = System.nanoTime();
    await("the pool to reconnect", () -> get("/api/v1/checkpoints").statusCode() == 200);
    long recovered = millisSince(t3);

    assertThat(
            jdbc.sql("select count(*) from checkpoint where sha256 = ?")
                .param(sha)
                .query(Long.class)
                .single())
        .as("checkpoint rows")
        .isZero();
    sweeper.sweep(Duration.ZERO);
    assertThat(blobs.exists(sha)).as("blob after the sweep").isFalse();
    HttpResponse<String> again = postBytes("/api/v1/checkpoints?name=pg-outage-upload", bytes);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
    System.out.printf(
        "fault pg-upload: stop %d ms; GET while down 503 in %d ms; upload 503 with Retry-After %s;"
            + " start %d ms; pool back %d ms after start; no row, no blob, no staged file; the"
            + " same upload afterwards 201%n",
        stopped,
        listingMs,
        answer.headers().firstValue("Retry-After").orElse("-"),
        started,
        recovered);
  }

  @Test
  void shouldRetryARunCutByARestartAndEndWithTheSameBytes() throws Exception {
    JsonNode c = oracleCase("added_layer_lenient");
    String ckpt = upload("/api/v1/checkpoints?name=pg-ckpt", c.get("checkpointFile").asString());
    String arch = upload("/api/v1/architectures?name=pg-arch", c.get("targetFile").asString());

    JsonNode steady = awaitRun(submit(ckpt, arch, c, "pg-steady-" + UUID.randomUUID()));
    assertThat(steady.get("status").asString()).as(steady.toString()).isEqualTo("SUCCEEDED");
    String steadySha = artifactSha(steady);

    // Holds the registry's version table so the run waits inside its registering transaction,
    // its blob stored and its rows not yet written: the restart lands there, every time.
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Throwable> holderFailure = new AtomicReference<>();
    Thread holder =
        new Thread(
            () -> {
              try {
                tx.executeWithoutResult(
                    s -> {
                      jdbc.sql("lock table model_version in share mode").update();
                      held.countDown();
                      try {
                        release.await(60, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    });
              } catch (RuntimeException e) {
                holderFailure.set(e); // its session ends with the server
              }
            },
            "model-version-holder");
    holder.start();
    assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
    String model = "pg-fault-" + UUID.randomUUID();
    String id = submit(ckpt, arch, c, model);
    await(
        "the run to wait in its registering transaction",
        () ->
            jdbc.sql(
                        "select count(*) from pg_locks l join pg_class c on c.oid = l.relation"
                            + " where c.relname = 'model_version' and not l.granted")
                    .query(Long.class)
                    .single()
                > 0);
    assertThat(json(get("/api/v1/warm-starts/" + id)).get("status").asString())
        .isEqualTo("RUNNING");

    long t0 = System.nanoTime();
    PG.stop();
    long stopped = millisSince(t0);
    release.countDown();
    HttpResponse<String> whileDown = get("/api/v1/warm-starts/" + id);
    assertUnavailable(whileDown);
    Thread.sleep(1000); // down for a while: the worker's transaction, beat and hand-back all fail
    long t1 = System.nanoTime();
    PG.startAgain();
    long started = millisSince(t1);
    long t2 = System.nanoTime();
    JsonNode ended = awaitRun(id);
    long finished = millisSince(t2);
    holder.join(10_000);

    assertThat(ended.get("status").asString()).as(ended.toString()).isEqualTo("SUCCEEDED");
    assertThat(ended.get("attempts").asInt()).as("attempts").isGreaterThanOrEqualTo(2);
    String sha = artifactSha(ended);
    assertThat(sha).as("the retried run's bytes").isEqualTo(steadySha);
    Path file = download(model, ended.get("modelVersion").get("version").asInt(), "pytorch");
    assertHolds(file, c.get("expected").get("result"));
    Files.delete(file);
    System.out.printf(
        "fault pg-run: stopped in its registering transaction (stop %d ms, holder saw %s); start"
            + " %d ms; SUCCEEDED %d ms after start on attempt %d, pytorch sha256 %s equal to the"
            + " uninterrupted run's%n",
        stopped,
        holderFailure.get() == null ? "no error" : holderFailure.get().getClass().getSimpleName(),
        started,
        finished,
        ended.get("attempts").asInt(),
        sha.substring(0, 12));
  }

  private String upload(String path, String fixture) throws Exception {
    HttpResponse<String> r = postFile(path, resource(ORACLE + fixture));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r).get("id").asString();
  }

  private String submit(String ckpt, String arch, JsonNode c, String model) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", ckpt);
    body.put("architectureId", arch);
    body.set("options", c.get("options"));
    body.putObject("output").put("model", model).putArray("formats").add("pytorch");
    HttpResponse<String> r = postJson("/api/v1/warm-starts", body.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return json(r).get("id").asString();
  }

  private String artifactSha(JsonNode run) throws Exception {
    JsonNode v =
        json(
            get(
                "/api/v1/models/"
                    + run.get("modelVersion").get("model").asString()
                    + "/versions/"
                    + run.get("modelVersion").get("version").asInt()));
    for (JsonNode a : v.get("artifacts")) {
      if (a.get("format").asString().equals("pytorch")) {
        return a.get("sha256").asString();
      }
    }
    throw new AssertionError("no pytorch artifact in " + v);
  }

  static void assertUnavailable(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    JsonNode p = json(r);
    assertThat(p.get("type").asString()).endsWith("/unavailable");
    assertThat(p.get("detail").asString()).contains("nothing was stored");
  }

  static long stagedBytes(Path staging) throws IOException {
    if (!Files.isDirectory(staging)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(staging)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** Polls until the condition holds; fails after a minute. */
  static void await(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  /** A condition polled by {@link #await}. */
  interface Check {
    boolean holds() throws Exception;
  }
}
