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
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A submitted run wakes an idle worker through PostgreSQL's NOTIFY: with a poll interval of an hour
 * the worker would never look on its own within the test, so the run ends only if the wake-up
 * works. (Not a timing assertion: the bound is a minute; bench/submit_to_running.sh measures.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RunWakeupsTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http =
      new BearerHttpClient(HttpClient.newHttpClient(), HttpTest.ADMIN_TOKEN);

  @LocalServerPort int port;

  @DynamicPropertySource
  static void hourlyPolls(DynamicPropertyRegistry registry) throws Exception {
    Path data = Files.createTempDirectory("graft-wakeups-");
    registry.add("graft.data-dir", data::toString);
    registry.add("graft.worker.poll-interval", () -> "1h");
    registry.add("graft.security.bootstrap-token", () -> HttpTest.ADMIN_TOKEN);
  }

  private JsonNode send(String method, String path, String type, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    if (body != null) {
      b.header("Content-Type", type).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isLessThan(300);
    return JSON.readTree(r.body());
  }

  @Test
  void shouldStartARunSubmittedToAnIdleWorkerWithoutWaitingForItsPoll() throws Exception {
    String checkpoint =
        send(
                "POST",
                "/api/v1/checkpoints?name=wake",
                "application/octet-stream",
                Safetensors.unique())
            .get("id")
            .asString();
    String architecture =
        send(
                "POST",
                "/api/v1/architectures/documents",
                "application/json",
                Safetensors.uniqueArchitectureJson().getBytes())
            .get("id")
            .asString();
    // Twice: the second run is submitted to a worker that went idle after the first.
    for (int i = 0; i < 2; i++) {
      Thread.sleep(1000); // the worker has looked, found nothing, and waits for its hourly poll
      String id =
          send(
                  "POST",
                  "/api/v1/warm-starts",
                  "application/json",
                  ("{\"checkpointId\":\""
                          + checkpoint
                          + "\",\"architectureId\":\""
                          + architecture
                          + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\"wake\"}}")
                      .getBytes())
              .get("id")
              .asString();
      long deadline = System.nanoTime() + 60_000_000_000L;
      String status;
      do {
        Thread.sleep(50);
        status = send("GET", "/api/v1/warm-starts/" + id, null, null).get("status").asString();
      } while ((status.equals("QUEUED") || status.equals("RUNNING"))
          && System.nanoTime() < deadline);
      assertThat(status).as("run " + (i + 1)).isEqualTo("SUCCEEDED");
    }
  }
}
