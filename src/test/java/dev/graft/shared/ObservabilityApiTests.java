package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.security.Tokens;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What an operator sees: Prometheus meters (for {@code read} tokens only) that move as uploads,
 * refusals, runs, previews and deletions happen; readiness with the database, blob store and
 * worker; build info; and request ids echoed in a header.
 */
class ObservabilityApiTests extends IntegrationTest {

  private HttpClient reader() throws Exception {
    return newClient(new Tokens(http, port).secret("read"));
  }

  private String scrape(HttpClient client) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(uri("/actuator/prometheus")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  /** The sum of a meter's samples whose labels contain every given label. */
  private static double value(String scrape, String name, String... labels) {
    double sum = 0;
    boolean found = false;
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$");
    for (String l : scrape.split("\n")) {
      Matcher m = line.matcher(l);
      if (!m.matches()) {
        continue;
      }
      String given = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (String label : labels) {
        all &= given.contains(label);
      }
      if (all) {
        sum += Double.parseDouble(m.group(2));
        found = true;
      }
    }
    return found ? sum : 0;
  }

  @Test
  void shouldServeMetricsToReadersOnlyAndMoveThemWithTheWork() throws Exception {
    HttpResponse<String> anonymous =
        newClient(null)
            .send(
                HttpRequest.newBuilder(uri("/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    HttpClient reader = reader();
    String before = scrape(reader);

    // An upload, a refused one, a run, two previews and a delete.
    JsonNode c = oracleCase("bfloat16_into_float");
    var ckptFile = resource(ORACLE + c.get("checkpointFile").asString());
    HttpResponse<String> ckpt = postFile("/api/v1/checkpoints?name=metered", ckptFile);
    assertThat(ckpt.statusCode()).isIn(200, 201);
    assertThat(
            postBytes("/api/v1/checkpoints?name=junk", "not a checkpoint".getBytes()).statusCode())
        .isEqualTo(422);
    String arch =
        json(postFile(
                "/api/v1/architectures?name=metered",
                resource(ORACLE + c.get("targetFile").asString())))
            .get("id")
            .asString();
    String ckptId = json(ckpt).get("id").asString();
    String preview =
        "{\"checkpointId\":\""
            + ckptId
            + "\",\"architectureId\":\""
            + arch
            + "\",\"options\":{\"strict\":false}}";
    assertThat(postJson("/api/v1/previews", preview).statusCode()).isEqualTo(200);
    assertThat(postJson("/api/v1/previews", preview).statusCode()).isEqualTo(200);
    HttpResponse<String> run =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckptId
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\"metered\"}}");
    assertThat(run.statusCode()).as(run.body()).isEqualTo(202);
    assertThat(awaitRun(json(run).get("id").asString()).get("status").asString())
        .isEqualTo("SUCCEEDED");
    String junk =
        json(postBytes("/api/v1/architectures?name=gc-me", new byte[0])).path("id").asString();
    HttpResponse<String> other =
        postFile(
            "/api/v1/checkpoints?name=gc-me",
            resource(ORACLE + oracleCase("added_layer_lenient").get("checkpointFile").asString()));
    assertThat(delete("/api/v1/checkpoints/" + json(other).get("id").asString()).statusCode())
        .isEqualTo(204);

    // Scraped twice so the queue gauge (cached for a few seconds) need not be fresh here.
    String after = scrape(reader);
    System.out.println(
        "meters: "
            + after
                .lines()
                .filter(l -> l.startsWith("graft_"))
                .map(l -> l.replaceAll("[{ ].*", ""))
                .distinct()
                .toList());
    assertThat(value(after, "graft_upload_bytes_total") - value(before, "graft_upload_bytes_total"))
        .isGreaterThanOrEqualTo(java.nio.file.Files.size(ckptFile));
    assertThat(
            value(after, "graft_upload_duration_seconds_count", "kind=\"checkpoint\"")
                - value(before, "graft_upload_duration_seconds_count", "kind=\"checkpoint\""))
        .isGreaterThanOrEqualTo(3);
    assertThat(
            value(after, "graft_upload_refused_total", "reason=\"malformed\"")
                - value(before, "graft_upload_refused_total", "reason=\"malformed\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(after, "graft_run_duration_seconds_count", "outcome=\"succeeded\"")
                - value(before, "graft_run_duration_seconds_count", "outcome=\"succeeded\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(value(after, "graft_run_tensors_total") - value(before, "graft_run_tensors_total"))
        .isGreaterThanOrEqualTo(1);
    assertThat(value(after, "graft_run_bytes_total") - value(before, "graft_run_bytes_total"))
        .isGreaterThan(0);
    assertThat(
            value(after, "graft_index_cache_total", "result=\"hit\"")
                - value(before, "graft_index_cache_total", "result=\"hit\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(after, "graft_blob_gc_total", "result=\"deleted\"")
                - value(before, "graft_blob_gc_total", "result=\"deleted\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(after).contains("graft_runs{").contains("status=\"SUCCEEDED\"");
    assertThat(junk).isNotNull();
  }

  @Test
  void shouldReportReadinessBuildInfoAndRequestIds() throws Exception {
    HttpResponse<String> ready = get("/actuator/health/readiness");
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    JsonNode components = json(ready).get("components");
    for (String c : new String[] {"db", "blobStore", "worker"}) {
      assertThat(components.get(c).get("status").asString()).as(c).isEqualTo("UP");
    }
    assertThat(components.get("blobStore").get("details").get("type").asString())
        .isEqualTo("filesystem");

    JsonNode info = json(get("/actuator/info"));
    assertThat(info.get("build").get("version").asString()).isNotBlank();
    assertThat(info.get("build").get("artifact").asString()).isEqualTo("graft");

    HttpResponse<String> given =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints"))
                .header("X-Request-Id", "trace-me-123")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(given.headers().firstValue("X-Request-Id")).hasValue("trace-me-123");
    HttpResponse<String> made = get("/api/v1/checkpoints");
    assertThat(made.headers().firstValue("X-Request-Id"))
        .hasValueSatisfying(id -> assertThat(id).hasSize(36));
    HttpResponse<String> hostile =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints"))
                .header("X-Request-Id", "x".repeat(300))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(hostile.headers().firstValue("X-Request-Id"))
        .hasValueSatisfying(id -> assertThat(id).hasSize(36));
  }
}
