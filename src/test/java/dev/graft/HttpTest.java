package dev.graft;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole application over HTTP on a random port, with a client and the checks the end-to-end
 * tests share. Subclasses choose the data folder (and with it the embedded PostgreSQL): {@link
 * IntegrationTest} shares one across the test JVM; a test needing other settings brings its own.
 *
 * <p>Security is on, as by default: the first admin token is {@link #ADMIN_TOKEN} (set through
 * {@code graft.security.bootstrap-token}), and {@link #http} sends it with every request that
 * carries no {@code Authorization} header of its own ({@link BearerHttpClient}); raw requests get
 * it from {@link #withToken}. {@link #newClient(String)} makes a client for another token, or for
 * none.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class HttpTest {

  protected static final JsonMapper JSON = JsonMapper.builder().build();
  protected static final String ORACLE = "fixtures/oracle/";

  /** The admin token every context of the test suite starts with. */
  public static final String ADMIN_TOKEN =
      "graft_7e57ad11_TestAdminTokenOfTheGraftTestSuite-0123456789";

  @DynamicPropertySource
  static void quickWorker(DynamicPropertyRegistry registry) {
    registry.add("graft.worker.poll-interval", () -> "50ms");
    registry.add("graft.worker.heartbeat", () -> "200ms");
    registry.add("graft.security.bootstrap-token", () -> ADMIN_TOKEN);
    // Webhook receivers in tests listen on loopback; retries and leases are quick.
    registry.add("graft.webhooks.allowed-hosts", () -> "127.0.0.1/32,::1/128,localhost");
    registry.add("graft.webhooks.backoff", () -> "100ms");
    registry.add("graft.webhooks.max-backoff", () -> "400ms");
    registry.add("graft.webhooks.poll-interval", () -> "100ms");
    registry.add("graft.webhooks.connect-timeout", () -> "1s");
    registry.add("graft.webhooks.timeout", () -> "2s");
    registry.add("graft.webhooks.lease", () -> "4s");
    registry.add("graft.events.poll-interval", () -> "50ms");
  }

  @LocalServerPort protected int port;

  /** Sends {@link #ADMIN_TOKEN} unless a request carries its own {@code Authorization}. */
  protected HttpClient http;

  @BeforeEach
  void client() {
    http = newClient();
  }

  /** A new client that sends {@link #ADMIN_TOKEN}. */
  protected static HttpClient newClient() {
    return newClient(ADMIN_TOKEN);
  }

  /** A new client that sends this token, or no {@code Authorization} at all when it is null. */
  protected static HttpClient newClient(String token) {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    return token == null ? plain : new BearerHttpClient(plain, token);
  }

  /**
   * A raw HTTP/1.1 request text with {@code Authorization: Bearer} {@link #ADMIN_TOKEN} added after
   * its request line (unchanged when it has no complete first line).
   */
  protected static String withToken(String rawRequest) {
    int eol = rawRequest.indexOf("\r\n");
    if (eol < 0) {
      return rawRequest;
    }
    return rawRequest.substring(0, eol + 2)
        + "Authorization: Bearer "
        + ADMIN_TOKEN
        + "\r\n"
        + rawRequest.substring(eol + 2);
  }

  protected URI uri(String pathAndQuery) {
    return URI.create("http://localhost:" + port + pathAndQuery);
  }

  protected HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  protected HttpResponse<String> postBytes(String path, byte[] body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  protected HttpResponse<String> postFile(String path, Path file)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofFile(file))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  protected HttpResponse<String> delete(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  protected static JsonNode json(HttpResponse<String> response) {
    return JSON.readTree(response.body());
  }

  /** Polls a run until it ends; fails after a minute. */
  protected JsonNode awaitRun(String id) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      JsonNode run = json(get("/api/v1/warm-starts/" + id));
      String status = run.get("status").asString();
      if (status.equals("SUCCEEDED") || status.equals("FAILED") || status.equals("CANCELLED")) {
        return run;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("run " + id + " did not end: " + run);
      }
      Thread.sleep(50);
    }
  }

  protected HttpResponse<String> postJson(String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A test resource as a file path. */
  protected static Path resource(String name) {
    try {
      return Path.of(HttpTest.class.getClassLoader().getResource(name).toURI());
    } catch (Exception e) {
      throw new IllegalStateException("missing test resource " + name, e);
    }
  }

  /**
   * Downloads a model version's artifact to a temporary file, checking the answer is 200 with the
   * file's SHA-256 as its ETag.
   */
  protected Path download(String model, int version, String format) throws Exception {
    Path file = Files.createTempFile("graft-artifact-", "." + format);
    HttpResponse<Path> r =
        http.send(
            HttpRequest.newBuilder(
                    uri(
                        "/api/v1/models/"
                            + model
                            + "/versions/"
                            + version
                            + "/artifacts/"
                            + format))
                .build(),
            HttpResponse.BodyHandlers.ofFile(file));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + sha256(file) + "\"");
    return file;
  }

  /** The torch oracle's cases ({@code scripts/make_oracle.py}). */
  protected static JsonNode oracleCases() throws IOException {
    return JSON.readTree(Files.readAllBytes(resource(ORACLE + "cases.json"))).get("cases");
  }

  /** One oracle case by name. */
  protected static JsonNode oracleCase(String name) throws IOException {
    for (JsonNode c : oracleCases()) {
      if (c.get("name").asString().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(name);
  }

  /**
   * An artifact parses and holds exactly the tensors torch produced: the keys in order and each
   * tensor's bytes, by SHA-256, as the oracle's {@code expected.result} records them.
   */
  protected static void assertHolds(Path artifact, JsonNode result) throws IOException {
    try (FileChannel ch = FileChannel.open(artifact, StandardOpenOption.READ)) {
      CheckpointIndex index = CheckpointReader.read(ch, null, null, ReadLimits.defaults());
      List<String> expectedKeys = new ArrayList<>();
      result.properties().forEach(p -> expectedKeys.add(p.getKey()));
      assertThat(index.tensors())
          .extracting(TensorInfo::key)
          .containsExactlyElementsOf(expectedKeys);
      for (TensorInfo t : index.tensors()) {
        assertThat(sha256(TensorData.readContiguous(ch, t)))
            .as("bytes of " + t.key() + " in " + artifact.getFileName())
            .isEqualTo(result.get(t.key()).asString());
      }
    }
  }
}
