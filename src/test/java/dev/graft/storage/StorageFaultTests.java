package dev.graft.storage;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.GatedBody;
import dev.graft.HttpTest;
import dev.graft.registry.Safetensors;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The storage under the running application really failing: S3Proxy stopped during an upload, a
 * download and a run, then started again on the same port (clear 503s, no object from the cut
 * upload, the run completes after the outage with the bytes an uninterrupted run gives); and the
 * work folder on an 8 MiB tmpfs that a run's output does not fit (the run fails saying so and
 * leaves nothing). Timings are printed, not asserted beyond generous bounds.
 */
@Tag("fault")
class StorageFaultTests extends HttpTest {

  private static final String BUCKET = "graft-faults";
  private static final S3ProxyServer S3;
  private static final Path OWN_DATA_DIR;
  private static final Path WORK;

  /** Why the small file system could not be made, or null when the work folder is on it. */
  private static final String NO_SMALL_DISK;

  static {
    try {
      S3 = S3ProxyServer.start();
      OWN_DATA_DIR = Files.createTempDirectory("graft-storage-fault-");
      WORK = Files.createDirectories(OWN_DATA_DIR.resolve("work"));
      NO_SMALL_DISK = mountSmallDisk(WORK);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      S3.close();
                      if (NO_SMALL_DISK == null) {
                        new ProcessBuilder("umount", "-l", WORK.toString()).start().waitFor();
                      }
                    } catch (Exception ignored) {
                      // exiting anyway
                    }
                  }));
    } catch (Exception e) {
      throw new IllegalStateException("cannot set up the storage fault tests", e);
    }
  }

  /** Mounts an 8 MiB tmpfs on the folder; returns why not when that is not permitted here. */
  private static String mountSmallDisk(Path dir) throws Exception {
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      return "cannot mount an 8 MiB tmpfs on the work folder here (needs root): " + out;
    }
    return null;
  }

  @DynamicPropertySource
  static void s3(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", OWN_DATA_DIR::toString);
    registry.add("graft.storage.type", () -> "s3");
    registry.add("graft.storage.s3.endpoint", () -> S3.endpoint().toString());
    registry.add("graft.storage.s3.bucket", () -> BUCKET);
    registry.add("graft.storage.s3.access-key", () -> S3ProxyServer.ACCESS_KEY);
    registry.add("graft.storage.s3.secret-key", () -> S3ProxyServer.SECRET_KEY);
    registry.add("graft.storage.s3.prefix", () -> "graft");
    registry.add("graft.storage.s3.part-size", () -> "5MB");
  }

  @Autowired JdbcClient jdbc;

  @AfterEach
  void storeBack() throws Exception {
    if (!S3.running()) {
      S3.restart(); // a failed test must not leave the next one without a store
    }
  }

  private static String key(String sha) {
    return "graft/sha256/" + sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha;
  }

  @Test
  void shouldAnswer503AndStoreNoObjectWhenS3StopsDuringAnUpload() throws Exception {
    byte[] bytes = Safetensors.unique(3_000_000); // 12 MB: past the 4 MiB receive buffers
    String sha = sha256(bytes);
    GatedBody gate = new GatedBody(bytes, bytes.length * 3 / 4);
    CompletableFuture<HttpResponse<String>> upload =
        http.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=s3-outage-upload"))
                .header("Content-Type", "application/octet-stream")
                .POST(
                    HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> gate), bytes.length))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Path staging = OWN_DATA_DIR.resolve("blobs/tmp");
    await("the upload to be streaming into the staging folder", () -> stagedBytes(staging) > 0);

    long t0 = System.nanoTime();
    S3.stop();
    long stopped = millisSince(t0);
    gate.open();
    long t1 = System.nanoTime();
    HttpResponse<String> answer = upload.get(120, TimeUnit.SECONDS);
    long answeredMs = millisSince(t1);
    assertUnavailable(answer);
    assertThat(json(answer).get("detail").asString()).contains("S3");
    assertThat(stagedBytes(staging)).as("staged bytes left").isZero();
    assertThat(
            jdbc.sql("select count(*) from checkpoint where sha256 = ?")
                .param(sha)
                .query(Long.class)
                .single())
        .isZero();

    long t2 = System.nanoTime();
    S3.restart();
    long restarted = millisSince(t2);
    assertThat(S3.keys(BUCKET)).as("objects after the outage").doesNotContain(key(sha));
    HttpResponse<String> again = postBytes("/api/v1/checkpoints?name=s3-outage-upload", bytes);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
    assertThat(S3.keys(BUCKET)).contains(key(sha));
    System.out.printf(
        "fault s3-upload: stop %d ms; upload 503 (Retry-After %s) %d ms after its last byte: %s;"
            + " restart %d ms; no row, no object, no staged file; the same upload afterwards 201%n",
        stopped,
        answer.headers().firstValue("Retry-After").orElse("-"),
        answeredMs,
        json(answer).get("detail").asString(),
        restarted);
  }

  @Test
  void shouldCutADownloadWhenS3StopsAndAnswer503UntilItIsBack() throws Exception {
    byte[] bytes = Safetensors.unique(8_000_000); // 32 MB, more than the sockets buffer
    HttpResponse<String> stored = postBytes("/api/v1/checkpoints?name=s3-outage-download", bytes);
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
    String path = "/api/v1/checkpoints/" + json(stored).get("id").asString() + "/content";

    HttpResponse<InputStream> streaming =
        http.send(
            HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(streaming.statusCode()).isEqualTo(200);
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    long read = 0;
    String cut = "completed";
    try (InputStream in = streaming.body()) {
      byte[] buf = new byte[1 << 16];
      int n;
      while (read < (1 << 20) && (n = in.read(buf)) > 0) {
        digest.update(buf, 0, n);
        read += n;
      }
      S3.stop();
      while ((n = in.read(buf)) > 0) {
        digest.update(buf, 0, n);
        read += n;
      }
    } catch (IOException e) {
      cut = e.getClass().getSimpleName();
    }
    // Either the stream is cut (an error, or fewer bytes than announced), or it completed with the
    // right bytes; never a complete length with other content.
    if (read == bytes.length && cut.equals("completed")) {
      assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(sha256(bytes));
    } else {
      assertThat(read).isLessThan(bytes.length);
    }

    HttpResponse<String> whileDown = get(path);
    assertUnavailable(whileDown);
    S3.restart();
    HttpResponse<byte[]> after =
        http.send(
            HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(sha256(after.body())).isEqualTo(sha256(bytes));
    System.out.printf(
        "fault s3-download: stopped after 1 MiB of %d bytes; the client got %d bytes (%s); a"
            + " download while down 503 (Retry-After %s); after restart 200 with the right"
            + " sha256%n",
        bytes.length, read, cut, whileDown.headers().firstValue("Retry-After").orElse("-"));
  }

  @Test
  void shouldRetryARunThatMetTheOutageAndEndWithTheSameBytes() throws Exception {
    JsonNode c = oracleCase("added_layer_lenient");
    String ckpt = upload("/api/v1/checkpoints?name=s3f-ckpt", c.get("checkpointFile").asString());
    String arch = upload("/api/v1/architectures?name=s3f-arch", c.get("targetFile").asString());
    JsonNode steady =
        awaitRun(submit(ckpt, arch, c.get("options"), "s3-steady-" + UUID.randomUUID(), "pytorch"));
    assertThat(steady.get("status").asString()).as(steady.toString()).isEqualTo("SUCCEEDED");
    String steadySha = artifactSha(steady, "pytorch");

    S3.stop();
    long t0 = System.nanoTime();
    String model = "s3-fault-" + UUID.randomUUID();
    String id = submit(ckpt, arch, c.get("options"), model, "pytorch");
    JsonNode interrupted = json(get("/api/v1/warm-starts/" + id));
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (interrupted.get("error").isNull() || interrupted.get("error").asString().isEmpty()) {
      assertThat(interrupted.get("status").asString()).isIn("QUEUED", "RUNNING");
      assertThat(System.nanoTime()).as("the run never met the outage").isLessThan(deadline);
      Thread.sleep(20);
      interrupted = json(get("/api/v1/warm-starts/" + id));
    }
    long metMs = millisSince(t0);
    // The outage lasts: the run waits in the queue for the retry pause, not claimed over and over.
    long waitUntil = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < waitUntil) {
      JsonNode waiting = json(get("/api/v1/warm-starts/" + id));
      assertThat(waiting.get("status").asString()).as(waiting.toString()).isEqualTo("QUEUED");
      assertThat(waiting.get("attempts").asInt()).as("attempts spent").isZero();
      Thread.sleep(50);
    }
    long t1 = System.nanoTime();
    S3.restart();
    JsonNode ended = awaitRun(id);
    long finishedMs = millisSince(t1);
    assertThat(ended.get("status").asString()).as(ended.toString()).isEqualTo("SUCCEEDED");
    assertThat(artifactSha(ended, "pytorch")).isEqualTo(steadySha);
    Path file = download(model, ended.get("modelVersion").get("version").asInt(), "pytorch");
    assertHolds(file, c.get("expected").get("result"));
    Files.delete(file);
    System.out.printf(
        "fault s3-run: met the outage %d ms after submission (%s: %s); SUCCEEDED %d ms after"
            + " S3 came back, attempts %d, pytorch sha256 equal to the uninterrupted run's%n",
        metMs,
        interrupted.get("status").asString(),
        interrupted.get("error").asString(),
        finishedMs,
        ended.get("attempts").asInt());
  }

  @Test
  void shouldFailARunWhoseOutputDoesNotFitTheWorkFolderAndLeaveNothing() throws Exception {
    Assumptions.assumeTrue(NO_SMALL_DISK == null, NO_SMALL_DISK);
    String ckpt = upload("/api/v1/checkpoints?name=full-ckpt", "bfloat16_into_float.ckpt.pt");
    // 4 float32 entries of 4 MiB: 16 MiB of output for an 8 MiB work folder.
    ObjectNode arch = JSON.createObjectNode();
    arch.put("name", "TooBig-" + UUID.randomUUID());
    ArrayNode entries = arch.putArray("entries");
    for (int i = 0; i < 4; i++) {
      ObjectNode e = entries.addObject();
      e.put("key", "big" + i + ".weight");
      e.put("dtype", "float32");
      e.putArray("shape").add(1024).add(1024);
      e.put("kind", "PARAMETER");
      e.putObject("init").put("scheme", "zeros");
    }
    HttpResponse<String> a = postJson("/api/v1/architectures", arch.toString());
    assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
    List<String> objectsBefore = S3.keys(BUCKET);

    long t0 = System.nanoTime();
    String model = "full-" + UUID.randomUUID();
    ObjectNode options = JSON.createObjectNode().put("strict", false);
    JsonNode ended =
        awaitRun(submit(ckpt, json(a).get("id").asString(), options, model, "safetensors"));
    long endedMs = millisSince(t0);

    assertThat(ended.get("status").asString()).as(ended.toString()).isEqualTo("FAILED");
    assertThat(ended.get("error").asString()).contains("work folder").contains("is full");
    assertThat(get("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(404);
    try (Stream<Path> left = Files.list(WORK)) {
      assertThat(left).as("work folder").isEmpty();
    }
    assertThat(stagedBytes(OWN_DATA_DIR.resolve("blobs/tmp"))).isZero();
    assertThat(S3.keys(BUCKET)).as("objects").containsExactlyInAnyOrderElementsOf(objectsBefore);
    System.out.printf(
        "fault disk-full: 16 MiB of output for an 8 MiB tmpfs work folder: FAILED after %d"
            + " attempt(s) in %d ms: %s; work folder empty, no version, no object%n",
        ended.get("attempts").asInt(), endedMs, ended.get("error").asString());
  }

  private String upload(String path, String fixture) throws Exception {
    HttpResponse<String> r = postFile(path, resource(ORACLE + fixture));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r).get("id").asString();
  }

  private String submit(String ckpt, String arch, JsonNode options, String model, String format)
      throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", ckpt);
    body.put("architectureId", arch);
    body.set("options", options);
    body.putObject("output").put("model", model).putArray("formats").add(format);
    HttpResponse<String> r = postJson("/api/v1/warm-starts", body.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return json(r).get("id").asString();
  }

  private String artifactSha(JsonNode run, String format) throws Exception {
    JsonNode v =
        json(
            get(
                "/api/v1/models/"
                    + run.get("modelVersion").get("model").asString()
                    + "/versions/"
                    + run.get("modelVersion").get("version").asInt()));
    for (JsonNode a : v.get("artifacts")) {
      if (a.get("format").asString().equals(format)) {
        return a.get("sha256").asString();
      }
    }
    throw new AssertionError("no " + format + " artifact in " + v);
  }

  private static void assertUnavailable(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(json(r).get("type").asString()).endsWith("/unavailable");
  }

  private static long stagedBytes(Path staging) throws IOException {
    if (!Files.isDirectory(staging)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(staging)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static void await(String what, java.util.concurrent.Callable<Boolean> check)
      throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!check.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
