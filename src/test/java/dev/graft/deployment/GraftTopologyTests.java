package dev.graft.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.deployment.TopologyProcesses.Graft;
import dev.graft.deployment.TopologyProcesses.Postgres;
import dev.graft.deployment.TopologyProcesses.Proc;
import dev.graft.storage.S3BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.s3.S3Client;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The production topology of {@code docker-compose.yml}, as separate OS processes on this machine
 * (no Docker engine exists here): Debian's PostgreSQL, S3Proxy standing in for MinIO (its bucket
 * made by a one-shot step, as {@code minio-init} does), one API and two workers from the packaged
 * jar extracted and launched exactly as the {@code Dockerfile} does, each configured only by the
 * environment the image and the compose file give it.
 *
 * <p>What this adds to the compose file, and why: hosts and ports ({@code postgres:5432} and {@code
 * minio:9000} become loopback ports, and each Graft process gets its own {@code SERVER_PORT} and
 * {@code GRAFT_DATADIR}, which containers get from their own network and volume), a short lease and
 * heartbeat so that a lease expiry costs seconds, and a heap cap for this 2-core machine. All of
 * them are checked to bind to real settings, like the compose file's own.
 *
 * <p>Run by failsafe after {@code package} ({@code ./mvnw verify}, so {@code .ci/run}); skipped
 * with the reason when Debian's {@code postgresql} package is missing. The timings it measures are
 * printed and written to {@code target/topology-timings.txt}; none is asserted beyond the bounds
 * that define the behaviour (hand-back well inside the lease, exit inside the grace period).
 */
@Tag("topology")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GraftTopologyTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration LEASE = Duration.ofSeconds(8);
  private static final Duration START = Duration.ofMinutes(4);
  private static final Duration RUN_LIMIT = Duration.ofMinutes(2);

  /**
   * Source tensors: enough per-tensor work (cast on the engine, two writers) for seconds, so that a
   * heartbeat reports progress well before the end (3,000 became too few once runs got faster).
   */
  private static final int TENSORS = Integer.getInteger("graft.topology.tensors", 8000);

  private static final int SIDE = 64;
  private static final String MODEL = "topology-warm";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Map<String, String> timings = new LinkedHashMap<>();
  private final List<Proc> processes = new ArrayList<>();

  private Path work;
  private Path app;
  private List<String> entrypoint;
  private Map<String, String> imageEnv;
  private Map<String, String> dotEnv;
  private Postgres pg;
  private Proc s3proxy;
  private URI s3Endpoint;
  private Graft api;
  private final List<Graft> workers = new ArrayList<>();
  private Proc noDatabase;
  private String token;

  private String checkpointId;
  private String architectureId;
  private Map<String, byte[]> uninterrupted;
  private String uninterruptedRun;
  private int workerCount;

  @BeforeAll
  void startTopology() throws Exception {
    assumeTrue(
        Postgres.binaries().isPresent(),
        "Debian's postgresql package is not installed (.ci/run installs it)");
    Path jar = Path.of(System.getProperty("graft.jar", "target/graft-0.1.0-SNAPSHOT.jar"));
    Path s3jar = Path.of(System.getProperty("graft.s3proxy.jar", "target/topology/s3proxy.jar"));
    assertThat(jar).as("the packaged jar (run by failsafe after package)").exists();
    assertThat(s3jar).as("S3Proxy's standalone jar (copied in pre-integration-test)").exists();
    work = Files.createTempDirectory("graft-topology-");
    // PostgreSQL runs as its own user under here.
    Files.setPosixFilePermissions(
        work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    dotEnv = ComposeFile.envFile(DeploymentFiles.root().resolve(".env.example"));
    // The example's placeholder is refused at start-up on purpose (it must be replaced): a fresh
    // token of Graft's shape stands in, as an operator following the example's comment makes one.
    assertThat(dotEnv).containsKey("GRAFT_BOOTSTRAP_TOKEN");
    token = freshBootstrapToken();
    dotEnv.put("GRAFT_BOOTSTRAP_TOKEN", token);

    Dockerfile dockerfile = Dockerfile.load();
    app = extractAsTheImageDoes(jar, dockerfile);
    entrypoint = dockerfile.runtime().entrypoint();
    imageEnv = new LinkedHashMap<>(dockerfile.runtime().env());
    imageEnv.remove("JAVA_HOME"); // image paths: this machine's JRE stands in
    imageEnv.remove("PATH");

    // Started while the rest comes up: the image's settings and no datasource.
    noDatabase = startGraft("no-database", Map.of("GRAFT_ROLES", "api"), false);

    pg =
        Postgres.start(
            Postgres.binaries().orElseThrow(),
            work.resolve("postgres"),
            dotEnv.get("POSTGRES_DB"),
            dotEnv.get("POSTGRES_USER"),
            dotEnv.get("POSTGRES_PASSWORD"));
    startS3Proxy(s3jar);
    try (S3Client s3 = s3Client()) {
      // minio-init's job: the bucket exists before Graft starts
      // (GRAFT_STORAGE_S3_CREATEBUCKET=false).
      s3.createBucket(b -> b.bucket(dotEnv.get("GRAFT_S3_BUCKET")));
    }
    api = startGraft("graft-api", composeEnv("graft-api"), true);
    workers.add(startGraft("graft-worker-1", composeEnv("graft-worker"), true));
    workers.add(startGraft("graft-worker-2", composeEnv("graft-worker"), true));
    long t0 = System.nanoTime();
    api.awaitReady(http, START);
    for (Graft w : workers) {
      w.awaitReady(http, START);
    }
    timings.put("all three Graft processes ready (from parallel start)", seconds(t0));
  }

  @AfterAll
  void stopTopology() throws Exception {
    StringBuilder report = new StringBuilder("Topology timings (this machine, one run):\n");
    timings.forEach((k, v) -> report.append(String.format("  %-72s %s%n", k, v)));
    System.out.println(report);
    try {
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target/topology-timings.txt"), report);
    } catch (IOException ignored) {
      // the printed copy is enough
    }
    for (Proc p : processes) {
      p.close();
    }
    if (s3proxy != null) {
      s3proxy.close();
    }
    if (pg != null) {
      pg.close();
    }
    if (work != null) {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void shouldStopAtStartUpSayingWhatToSetWhenTheImageHasNoDatasource() throws Exception {
    assertThat(noDatabase.waitFor(START)).as("exited").isTrue();
    assertThat(noDatabase.process.exitValue()).isNotZero();
    assertThat(noDatabase.output())
        .contains("APPLICATION FAILED TO START")
        .contains("no database is configured")
        .contains("SPRING_DATASOURCE_URL");
  }

  @Test
  @Order(2)
  void shouldAnswerTheImagesHealthCheckInEveryProcess() throws Exception {
    Path script = DeploymentFiles.root().resolve("docker/healthcheck.sh");
    for (Graft g : List.of(api, workers.get(0), workers.get(1))) {
      // The script reads SERVER_PORT as the container's environment would give it.
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
      pb.environment().put("SERVER_PORT", Integer.toString(g.port));
      Process check = pb.start();
      assertThat(check.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(check.exitValue()).as("healthcheck against %s", g.name).isZero();
    }
  }

  @Test
  @Order(3)
  void shouldRunTheMainFlowThroughTheApiProcess() throws Exception {
    assertThat(json(get("/api/v1/models")).get("items")).isNotNull();
    // 1. checkpoint, streamed as the raw body
    byte[] checkpoint = checkpoint();
    HttpResponse<String> c =
        send(
            request("/api/v1/checkpoints?name=topology-source")
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(checkpoint)));
    assertThat(c.statusCode()).as(c.body()).isEqualTo(201);
    checkpointId = json(c).get("id").asString();
    assertThat(json(c).get("tensorCount").asInt()).isEqualTo(TENSORS);
    // 2. the new architecture, as JSON: every old tensor cast to float16, new adapters initialised
    HttpResponse<String> a =
        send(
            request("/api/v1/architectures")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(architecture())));
    assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
    architectureId = json(a).get("id").asString();
    // 3. preview
    HttpResponse<String> preview =
        send(
            request("/api/v1/previews")
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"checkpointId\":\""
                            + checkpointId
                            + "\",\"architectureId\":\""
                            + architectureId
                            + "\",\"options\":{\"strict\":false}}")));
    assertThat(preview.statusCode()).as(preview.body()).isEqualTo(200);
    assertThat(json(preview).get("summary").get("loaded").asInt()).isEqualTo(TENSORS);
    assertThat(json(preview).get("summary").get("initialized").asInt()).isEqualTo(TENSORS / 4);
    // 4. run, uninterrupted: the reference for the runs interrupted below
    long t0 = System.nanoTime();
    JsonNode run = awaitEnd(submit("uninterrupted").get("id").asString());
    timings.put("uninterrupted run, submit to SUCCEEDED", seconds(t0));
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    assertThat(run.get("attempts").asInt()).isEqualTo(1);
    assertThat(run.get("device").asString()).isEqualTo("cpu");
    uninterruptedRun = run.get("id").asString();
    // 5. the registry and the artifacts
    int version = run.get("modelVersion").get("version").asInt();
    JsonNode v = json(get("/api/v1/models/" + MODEL + "/versions/" + version));
    assertThat(v.get("artifacts")).hasSize(2);
    assertThat(v.get("lineage").get("checkpointId").asString()).isEqualTo(checkpointId);
    uninterrupted = artifacts(version);
    assertThat(json(get("/api/v1/models?q=topology")).get("items").get(0).get("name").asString())
        .isEqualTo(MODEL);
  }

  @Test
  @Order(4)
  void shouldFinishTheRunOfAKilledWorkerOnTheOtherAfterTheLeaseWithIdenticalArtifacts()
      throws Exception {
    assertThat(uninterrupted).as("the main flow ran").isNotNull();
    String id = submit("kill-9").get("id").asString();
    JsonNode running = awaitProgress(id, 0.2);
    Graft victim = workerHolding(id);
    Graft survivor = workers.stream().filter(w -> w != victim).findFirst().orElseThrow();
    int doneAtKill = running.get("progress").get("tensorsDone").asInt();

    long t0 = System.nanoTime();
    victim.kill();
    assertThat(victim.waitFor(Duration.ofSeconds(10))).isTrue();
    workers.remove(victim);
    String survivorOwner = survivor.workerOwner().orElseThrow();
    awaitRow(
        id, row -> "RUNNING".equals(row.get("status")) && survivorOwner.equals(row.get("owner")));
    timings.put(
        "kill -9: worker killed -> run claimed by the other worker (lease "
            + LEASE.toSeconds()
            + "s)",
        seconds(t0));
    JsonNode done = awaitEnd(id);
    timings.put("kill -9: worker killed -> run SUCCEEDED on the other", seconds(t0));
    assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    assertThat(done.get("attempts").asInt()).isEqualTo(2);
    assertThat(seconds(t0, System.nanoTime()))
        .as("taken over only after the lease expired")
        .isGreaterThanOrEqualTo(LEASE.toMillis() / 1000.0 - 2.5);
    assertThat(doneAtKill).isPositive();
    assertIdentical(id, artifacts(done.get("modelVersion").get("version").asInt()));

    // Back to two workers, as the orchestrator's restart would make it.
    Graft replacement =
        startGraft("graft-worker-" + (++workerCount + 2), composeEnv("graft-worker"), true);
    workers.add(replacement);
    replacement.awaitReady(http, START);
  }

  @Test
  @Order(5)
  void shouldHandARunBackAtOnceWhenAWorkerGetsSigtermAndExitWithinTheGracePeriod()
      throws Exception {
    assertThat(workers).hasSize(2);
    String id = submit("sigterm-worker").get("id").asString();
    awaitProgress(id, 0.15);
    Graft stopping = workerHolding(id);
    Graft other = workers.stream().filter(w -> w != stopping).findFirst().orElseThrow();
    String stoppingOwner = stopping.workerOwner().orElseThrow();
    String otherOwner = other.workerOwner().orElseThrow();

    long t0 = System.nanoTime();
    stopping.terminate();
    Map<String, Object> back = awaitRow(id, row -> !stoppingOwner.equals(row.get("owner")));
    long handedBack = System.nanoTime();
    timings.put(
        "SIGTERM worker -> run handed back (row no longer its)", seconds(t0, handedBack) + " s");
    // The other worker claims it; it may also finish the rest before a poll sees it RUNNING (the
    // row's owner is cleared at the end), and then its log says it claimed the run.
    Map<String, Object> retakenRow =
        awaitRow(
            id,
            row ->
                ("RUNNING".equals(row.get("status")) && otherOwner.equals(row.get("owner")))
                    || "SUCCEEDED".equals(row.get("status")));
    long retaken = System.nanoTime();
    if ("SUCCEEDED".equals(retakenRow.get("status"))) {
      assertThat(other.output()).contains("run " + id + " claimed by " + otherOwner);
    }
    timings.put("SIGTERM worker -> run claimed by the other worker", seconds(t0, retaken) + " s");
    assertThat(seconds(t0, retaken))
        .as("retaken without waiting for the %ss lease", LEASE.toSeconds())
        .isLessThan(LEASE.toMillis() / 1000.0 - 2);
    assertThat(back.get("status")).isIn("QUEUED", "RUNNING");
    assertThat(stopping.waitFor(Duration.ofSeconds(30)))
        .as("exited within the grace period")
        .isTrue();
    timings.put("SIGTERM worker -> process exited", seconds(t0));
    workers.remove(stopping);
    assertThat(stopping.output()).contains("handed back to the queue").contains("stopped");

    JsonNode done = awaitEnd(id);
    assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    assertThat(done.get("attempts").asInt()).as("a hand-back is not a failed attempt").isEqualTo(1);
    assertIdentical(id, artifacts(done.get("modelVersion").get("version").asInt()));
  }

  @Test
  @Order(6)
  void shouldFinishAnUploadInFlightWhenTheApiGetsSigterm() throws Exception {
    HttpResponse<String> r = uploadThenTerminate(api, "SIGTERM API");
    String id = json(r).get("id").asString();
    String sha256 = json(r).get("sha256").asString();
    try (Connection c = pg.connect();
        ResultSet rs =
            c.createStatement()
                .executeQuery("select count(*) from checkpoint where id = '" + id + "'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("the row was committed").isEqualTo(1);
    }
    try (S3Client s3 = s3Client()) {
      assertThat(s3.listObjectsV2(b -> b.bucket(dotEnv.get("GRAFT_S3_BUCKET"))).contents())
          .as("the blob was stored")
          .anyMatch(o -> o.key().contains(sha256));
    }
  }

  /**
   * The local default, {@code java -jar} with no settings: its embedded PostgreSQL used to stop
   * from a JVM hook of its own while Tomcat let the upload finish, so the upload hung and was lost.
   */
  @Test
  @Order(7)
  void shouldFinishAnUploadInFlightBeforeTheEmbeddedDatabaseStops() throws Exception {
    int port = TopologyProcesses.freePort();
    Path data = work.resolve("local-default");
    Files.createDirectories(data);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("SERVER_PORT", Integer.toString(port));
    env.put("GRAFT_DATADIR", data.toString());
    env.put("GRAFT_ROLES", "api");
    env.put("JAVA_TOOL_OPTIONS", "-Xmx512m");
    // Its own database, so its own first admin token: the one the upload sends.
    env.put("GRAFT_SECURITY_BOOTSTRAPTOKEN", token);
    Graft local =
        Graft.start(
            "local-default",
            List.of(
                javaBin(),
                "-jar",
                System.getProperty("graft.jar", "target/graft-0.1.0-SNAPSHOT.jar")),
            env,
            data,
            work.resolve("local-default.log"),
            port);
    processes.add(local);
    local.awaitReady(http, START);
    HttpResponse<String> r =
        uploadThenTerminate(local, "SIGTERM local default (embedded PostgreSQL)");
    assertThat(json(r).get("id").asString()).isNotBlank();
    assertThat(local.output()).doesNotContain("Connection refused").doesNotContain("FATAL");
  }

  /** Streams a 96 MB upload at 24 MB/s, sends SIGTERM at 16 MB, and returns its 201. */
  private HttpResponse<String> uploadThenTerminate(Graft target, String label) throws Exception {
    long size = 96L << 20;
    AtomicLong sent = new AtomicLong();
    CompletableFuture<HttpResponse<String>> upload =
        http.sendAsync(
            HttpRequest.newBuilder(target.uri("/api/v1/checkpoints?name=during-shutdown"))
                .timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/octet-stream")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ThrottledSafetensors(size, 24L << 20, sent)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    while (sent.get() < (16L << 20)) {
      assertThat(upload).isNotDone();
      Thread.sleep(20);
    }
    long t0 = System.nanoTime();
    target.terminate();
    HttpResponse<String> r = upload.get(60, TimeUnit.SECONDS);
    timings.put(label + " mid-upload (96 MB at 24 MB/s) -> upload answered", seconds(t0));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(sent.get()).isEqualTo(size);
    assertThat(target.waitFor(Duration.ofSeconds(45))).as("exited").isTrue();
    timings.put(label + " mid-upload -> process exited", seconds(t0));
    assertThat(target.output()).contains("Commencing graceful shutdown");
    return r;
  }

  // ---------------------------------------------------------------------------------------------

  /** The image's /app: the jar extracted as the build stage does, the layers copied in order. */
  private Path extractAsTheImageDoes(Path jar, Dockerfile dockerfile) throws Exception {
    try (JarFile j = new JarFile(jar.toFile())) {
      String idx =
          new String(
              j.getInputStream(j.getEntry("BOOT-INF/layers.idx")).readAllBytes(),
              StandardCharsets.UTF_8);
      List<String> layers = new ArrayList<>();
      for (String line : idx.split("\n")) {
        if (line.startsWith("- \"")) {
          layers.add(line.substring(3, line.length() - 2));
        }
      }
      assertThat(dockerfile.copiedLayers())
          .as("the Dockerfile copies the jar's layers")
          .isEqualTo(layers);
    }
    Path extracted = work.resolve("extracted");
    Process p =
        new ProcessBuilder(
                javaBin(),
                "-Djarmode=tools",
                "-jar",
                jar.toString(),
                "extract",
                "--layers",
                "--launcher",
                "--destination",
                extracted.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    Path app = work.resolve("app");
    for (String layer : dockerfile.copiedLayers()) {
      Path from = extracted.resolve(layer);
      try (Stream<Path> files = Files.walk(from)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Path to = app.resolve(from.relativize(f).toString());
          if (Files.isDirectory(f)) {
            Files.createDirectories(to);
          } else {
            Files.move(f, to);
          }
        }
      }
    }
    return app;
  }

  private Graft startGraft(String name, Map<String, String> service, boolean addTestSettings)
      throws IOException {
    int port = TopologyProcesses.freePort();
    Path data = work.resolve(name);
    Files.createDirectories(data);
    Map<String, String> env = new LinkedHashMap<>(imageEnv);
    env.putAll(service);
    Map<String, String> added = new LinkedHashMap<>();
    // What a container has from its own network namespace and volume:
    added.put("SERVER_PORT", Integer.toString(port));
    added.put("GRAFT_DATADIR", data.toString());
    added.put("DJL_CACHE_DIR", data.resolve(".djl").toString());
    // Bounded timings for this test, and a heap cap for a 2-core, 24 GB machine running five JVMs:
    added.put("JAVA_TOOL_OPTIONS", "-Xmx512m");
    if (addTestSettings) {
      added.put("GRAFT_WORKER_LEASE", LEASE.toSeconds() + "s");
      added.put("GRAFT_WORKER_HEARTBEAT", "500ms");
      added.put("GRAFT_WORKER_POLLINTERVAL", "200ms");
    }
    assertThat(GraftSettings.unbound(added.keySet())).isEmpty();
    env.putAll(added);
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    List<String> command = new ArrayList<>(entrypoint);
    command.set(0, javaBin());
    int cp = command.indexOf("-cp");
    command.set(cp + 1, app.toString());
    Graft g = Graft.start(name, command, env, app, work.resolve(name + ".log"), port);
    processes.add(g);
    return g;
  }

  /** The compose service's environment, with its hosts pointed at this machine's processes. */
  private Map<String, String> composeEnv(String service) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    ComposeFile.load(dotEnv)
        .environment(service)
        .forEach(
            (k, v) ->
                env.put(
                    k,
                    v.replace("//postgres:5432/", "//127.0.0.1:" + pg.port + "/")
                        .replace("http://minio:9000", s3Endpoint.toString())));
    return env;
  }

  private void startS3Proxy(Path jar) throws Exception {
    int port = TopologyProcesses.freePort();
    Path dir = work.resolve("s3");
    Files.createDirectories(dir.resolve("blobs"));
    Path properties = dir.resolve("s3proxy.conf");
    Files.writeString(
        properties,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + dotEnv.get("MINIO_ROOT_USER"),
            "s3proxy.credential=" + dotEnv.get("MINIO_ROOT_PASSWORD"),
            "jclouds.provider=filesystem",
            "jclouds.filesystem.basedir=" + dir.resolve("blobs"),
            "jclouds.identity=local",
            "jclouds.credential=local",
            ""));
    s3proxy =
        Proc.start(
            "s3proxy",
            List.of(
                javaBin(),
                "-Xmx256m",
                "-jar",
                jar.toString(),
                "--properties",
                properties.toString()),
            null,
            dir,
            dir.resolve("s3proxy.log"));
    s3Endpoint = URI.create("http://127.0.0.1:" + port);
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      try {
        http.send(
            HttpRequest.newBuilder(s3Endpoint).build(), HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException notYet) {
        if (!s3proxy.process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start\n" + s3proxy.tail(), notYet);
        }
        Thread.sleep(200);
      }
    }
  }

  private S3Client s3Client() {
    return S3BlobStore.clientBuilder(
            s3Endpoint,
            "us-east-1",
            dotEnv.get("MINIO_ROOT_USER"),
            dotEnv.get("MINIO_ROOT_PASSWORD"))
        .build();
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  // ---- the API ---------------------------------------------------------------------------------

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(api.uri(path))
        .timeout(Duration.ofMinutes(2))
        .header("Authorization", "Bearer " + token);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) {
    return JSON.readTree(r.body());
  }

  private JsonNode submit(String key) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", checkpointId);
    body.put("architectureId", architectureId);
    body.putObject("options").put("strict", false).put("initSeed", 7);
    ObjectNode output = body.putObject("output");
    output.put("model", MODEL);
    output.putArray("formats").add("safetensors").add("pytorch");
    HttpResponse<String> r =
        send(
            request("/api/v1/warm-starts")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "topology-" + key)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return json(r);
  }

  private JsonNode awaitEnd(String id) throws Exception {
    long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
    while (true) {
      JsonNode run = json(get("/api/v1/warm-starts/" + id));
      String status = run.get("status").asString();
      if (List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(status)) {
        return run;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("run " + id + " did not end: " + run + "\n" + tails());
      }
      Thread.sleep(100);
    }
  }

  /** Waits until a run has done at least {@code fraction} of its tensors, and is still running. */
  private JsonNode awaitProgress(String id, double fraction) throws Exception {
    long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
    while (true) {
      JsonNode run = json(get("/api/v1/warm-starts/" + id));
      JsonNode p = run.get("progress");
      int total = p.get("tensorsTotal").asInt();
      if (!run.get("status").asString().matches("QUEUED|RUNNING")) {
        throw new AssertionError("run ended before the test could interrupt it: " + run);
      }
      if (total > 0 && p.get("tensorsDone").asInt() >= total * fraction) {
        assertThat(p.get("tensorsDone").asInt())
            .as("the run is long enough to be interrupted mid-way")
            .isLessThan((int) (total * 0.8));
        return run;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("run " + id + " made no progress: " + run + "\n" + tails());
      }
      Thread.sleep(20);
    }
  }

  /** The run's row as the queue sees it: status, lease owner, attempts. */
  private Map<String, Object> row(String id) throws Exception {
    try (Connection c = pg.connect();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "select status, lease_owner, attempts from warm_start_run where id = '"
                        + UUID.fromString(id)
                        + "'")) {
      rs.next();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("status", rs.getString(1));
      row.put("owner", rs.getString(2));
      row.put("attempts", rs.getInt(3));
      return row;
    }
  }

  private Map<String, Object> awaitRow(String id, Predicate<Map<String, Object>> condition)
      throws Exception {
    long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
    while (true) {
      Map<String, Object> row = row(id);
      if (condition.test(row)) {
        return row;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "run " + id + " never reached the state; last " + row + "\n" + tails());
      }
      Thread.sleep(25);
    }
  }

  private Graft workerHolding(String id) throws Exception {
    Object owner = row(id).get("owner");
    return workers.stream()
        .filter(w -> w.workerOwner().map(owner::equals).orElse(false))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no live worker owns run " + id + " (" + owner + ")"));
  }

  private Map<String, byte[]> artifacts(int version) throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String format : List.of("safetensors", "pytorch")) {
      HttpResponse<byte[]> r =
          http.send(
              request("/api/v1/models/" + MODEL + "/versions/" + version + "/artifacts/" + format)
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("ETag")).hasValue("\"" + sha256(r.body()) + "\"");
      files.put(format, r.body());
    }
    return files;
  }

  /**
   * Byte-identical to the uninterrupted run: the torch.save file exactly; the safetensors file too,
   * once its metadata's {@code graft.run_id} (the one field that names the run) is the other's.
   */
  private void assertIdentical(String run, Map<String, byte[]> artifacts) {
    assertThat(artifacts.get("pytorch")).isEqualTo(uninterrupted.get("pytorch"));
    String mine = new String(artifacts.get("safetensors"), StandardCharsets.ISO_8859_1);
    assertThat(mine).contains(run);
    byte[] normalised = mine.replace(run, uninterruptedRun).getBytes(StandardCharsets.ISO_8859_1);
    assertThat(normalised).isEqualTo(uninterrupted.get("safetensors"));
  }

  private String tails() {
    StringBuilder b = new StringBuilder();
    for (Proc p : processes) {
      b.append(p.tail()).append('\n');
    }
    return b.toString();
  }

  // ---- inputs ----------------------------------------------------------------------------------

  /** A safetensors file: {@link #TENSORS} float32 [64, 64] tensors of seeded random values. */
  private static byte[] checkpoint() {
    StringBuilder header = new StringBuilder("{");
    long tensorBytes = (long) SIDE * SIDE * 4;
    for (int i = 0; i < TENSORS; i++) {
      if (i > 0) {
        header.append(',');
      }
      header
          .append("\"blocks.")
          .append(i)
          .append(".weight\":{\"dtype\":\"F32\",\"shape\":[")
          .append(SIDE)
          .append(',')
          .append(SIDE)
          .append("],\"data_offsets\":[")
          .append(i * tensorBytes)
          .append(',')
          .append((i + 1) * tensorBytes)
          .append("]}");
    }
    header.append('}');
    while ((8 + header.length()) % 8 != 0) {
      header.append(' ');
    }
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b =
        ByteBuffer.allocate(8 + h.length + (int) (TENSORS * tensorBytes))
            .order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Random random = new Random(42);
    while (b.hasRemaining()) {
      b.putFloat((float) random.nextGaussian());
    }
    return b.array();
  }

  /** The target: every block as float16 (a cast on the engine), plus new initialised adapters. */
  private static String architecture() {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("name", "TopologyNet");
    ArrayNode entries = doc.putArray("entries");
    for (int i = 0; i < TENSORS; i++) {
      ObjectNode e = entries.addObject();
      e.put("key", "blocks." + i + ".weight");
      e.put("dtype", "float16");
      e.putArray("shape").add(SIDE).add(SIDE);
      e.put("kind", "PARAMETER");
      e.putObject("init").put("scheme", "zeros");
    }
    for (int i = 0; i < TENSORS / 4; i++) {
      ObjectNode e = entries.addObject();
      e.put("key", "adapters." + i + ".weight");
      e.put("dtype", "float32");
      e.putArray("shape").add(SIDE).add(SIDE);
      e.put("kind", "PARAMETER");
      e.putObject("init").put("scheme", "kaiming_uniform").put("a", 2.236);
    }
    return doc.toString();
  }

  /** A valid safetensors file of one big tensor, delivered at a fixed rate. */
  private static final class ThrottledSafetensors extends InputStream {
    private final byte[] head;
    private final long size;
    private final long bytesPerSecond;
    private final AtomicLong sent;
    private final long start = System.nanoTime();
    private long position;

    ThrottledSafetensors(long size, long bytesPerSecond, AtomicLong sent) {
      long data = size - 8 - 128;
      String json =
          "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + data + "],\"data_offsets\":[0," + data + "]}}";
      StringBuilder h = new StringBuilder(json);
      while (h.length() < 128) {
        h.append(' ');
      }
      ByteBuffer b = ByteBuffer.allocate(8 + 128).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(128).put(h.toString().getBytes(StandardCharsets.US_ASCII));
      this.head = b.array();
      this.size = size;
      this.bytesPerSecond = bytesPerSecond;
      this.sent = sent;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      if (position >= size) {
        return -1;
      }
      long allowed = (System.nanoTime() - start) * bytesPerSecond / 1_000_000_000L;
      while (allowed <= position) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
        allowed = (System.nanoTime() - start) * bytesPerSecond / 1_000_000_000L;
      }
      int n = (int) Math.min(len, Math.min(size - position, Math.min(allowed - position, 1 << 20)));
      for (int i = 0; i < n; i++) {
        long p = position + i;
        buf[off + i] = p < head.length ? head[(int) p] : (byte) (p * 31);
      }
      position += n;
      sent.set(position);
      return n;
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static String seconds(long t0) {
    return seconds(t0, System.nanoTime()) + " s";
  }

  private static double seconds(long t0, long t1) {
    return Math.round((t1 - t0) / 1e7) / 100.0;
  }

  /** A bootstrap token as {@code echo "graft_$(openssl rand -hex 4)_$(openssl rand -hex 32)"}. */
  private static String freshBootstrapToken() {
    java.security.SecureRandom random = new java.security.SecureRandom();
    byte[] prefix = new byte[4];
    byte[] secret = new byte[32];
    random.nextBytes(prefix);
    random.nextBytes(secret);
    java.util.HexFormat hex = java.util.HexFormat.of();
    return "graft_" + hex.formatHex(prefix) + "_" + hex.formatHex(secret);
  }
}
