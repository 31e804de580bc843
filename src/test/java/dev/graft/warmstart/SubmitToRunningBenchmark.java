package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.BearerHttpClient;
import dev.graft.HttpTest;
import dev.graft.registry.Safetensors;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Submit-to-RUNNING latency with an idle worker at the default poll interval (500 ms): submits
 * {@code ROUNDS} tiny runs one after another, each after the previous one ended and a random pause,
 * and prints the median, p90 and max of each run's {@code startedAt - createdAt} (both stamped by
 * the server, so client polling does not count). Not a test (its name does not end in Tests):
 * {@code bash bench/submit_to_running.sh} runs it. Timings are printed, never asserted.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SubmitToRunningBenchmark {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http =
      new BearerHttpClient(HttpClient.newHttpClient(), HttpTest.ADMIN_TOKEN);
  @LocalServerPort int port;

  private static final int ROUNDS = Integer.getInteger("graft.bench.rounds", 30);

  @DynamicPropertySource
  static void defaults(DynamicPropertyRegistry registry) throws Exception {
    Path data = Files.createTempDirectory("graft-bench-");
    registry.add("graft.data-dir", data::toString);
    // The defaults (HttpTest's quick 50 ms worker would hide what users see).
    registry.add("graft.worker.poll-interval", () -> "500ms");
    registry.add("graft.security.bootstrap-token", () -> HttpTest.ADMIN_TOKEN);
  }

  private JsonNode post(String path, String type, HttpRequest.BodyPublisher body) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Content-Type", type)
                .POST(body)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isLessThan(300);
    return JSON.readTree(r.body());
  }

  private JsonNode awaitRun(String id) throws Exception {
    while (true) {
      JsonNode run =
          JSON.readTree(
              http.send(
                      HttpRequest.newBuilder(
                              URI.create("http://localhost:" + port + "/api/v1/warm-starts/" + id))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      String status = run.get("status").asString();
      if (!status.equals("QUEUED") && !status.equals("RUNNING")) {
        return run;
      }
      Thread.sleep(20);
    }
  }

  @Test
  void printSubmitToRunningLatency() throws Exception {
    String checkpoint =
        post(
                "/api/v1/checkpoints?name=bench",
                "application/octet-stream",
                HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()))
            .get("id")
            .asString();
    String architecture =
        post(
                "/api/v1/architectures/documents",
                "application/json",
                HttpRequest.BodyPublishers.ofString(Safetensors.uniqueArchitectureJson()))
            .get("id")
            .asString();
    List<Long> micros = new ArrayList<>();
    for (int i = 0; i < ROUNDS + 3; i++) {
      Thread.sleep(ThreadLocalRandom.current().nextInt(0, 1000));
      JsonNode run =
          post(
              "/api/v1/warm-starts",
              "application/json",
              HttpRequest.BodyPublishers.ofString(
                  "{\"checkpointId\":\""
                      + checkpoint
                      + "\",\"architectureId\":\""
                      + architecture
                      + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\"bench\"}}"));
      JsonNode ended = awaitRun(run.get("id").asString());
      assertThat(ended.get("status").asString()).isEqualTo("SUCCEEDED");
      if (i >= 3) { // the first runs warm the engine and the JIT
        micros.add(
            Duration.between(
                        Instant.parse(ended.get("createdAt").asString()),
                        Instant.parse(ended.get("startedAt").asString()))
                    .toNanos()
                / 1000);
      }
    }
    micros.sort(null);
    System.out.printf(
        "submit-to-RUNNING over %d runs: median %.1f ms, p90 %.1f ms, max %.1f ms%n",
        micros.size(),
        micros.get(micros.size() / 2) / 1000.0,
        micros.get(micros.size() * 9 / 10) / 1000.0,
        micros.get(micros.size() - 1) / 1000.0);
  }
}
