package dev.graft.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;

/**
 * Every file of the committed bad-input corpus ({@code scripts/make_bad_inputs.py}) is refused over
 * HTTP with a 4xx problem+json that names the problem, leaves no row, no blob and no temporary
 * file, and the server keeps serving.
 */
class BadInputApiTests extends IntegrationTest {

  private static final String CORPUS = "bad-inputs/";
  static final Path TMP = Path.of("/tmp");

  static List<JsonNode> corpus() throws IOException {
    JsonNode manifest = JSON.readTree(Files.readAllBytes(resource(CORPUS + "manifest.json")));
    JsonNode files = manifest.isArray() ? manifest : manifest.get("files");
    List<JsonNode> out = new ArrayList<>();
    files.forEach(out::add);
    return out;
  }

  private long blobCount() throws IOException {
    Path root = DATA_DIR.resolve("blobs/sha256");
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  private long tmpCount() throws IOException {
    try (Stream<Path> s = Files.list(DATA_DIR.resolve("blobs/tmp"))) {
      return s.count();
    }
  }

  @Test
  void shouldHoldAtLeastThirtyBadInputs() throws IOException {
    assertThat(corpus()).hasSizeGreaterThanOrEqualTo(30);
  }

  @TestFactory
  Stream<DynamicTest> shouldRefuseEveryBadInputLeavingNothingBehind() throws IOException {
    deleteMarkers();
    return corpus().stream()
        .map(
            entry ->
                DynamicTest.dynamicTest(
                    entry.get("file").asString(),
                    () -> {
                      long rowsBefore =
                          json(get("/api/v1/checkpoints?size=1")).get("total").asLong();
                      long blobsBefore = blobCount();

                      HttpResponse<String> r =
                          postFile(
                              "/api/v1/checkpoints?name=bad",
                              resource(CORPUS + entry.get("file").asString()));

                      assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
                      assertThat(r.headers().firstValue("Content-Type"))
                          .hasValueSatisfying(
                              v -> assertThat(v).startsWith("application/problem+json"));
                      JsonNode problem = json(r);
                      assertThat(problem.get("status").asInt()).isEqualTo(r.statusCode());
                      assertThat(problem.get("detail").asString().toLowerCase(Locale.ROOT))
                          .contains(entry.get("detail").asString().toLowerCase(Locale.ROOT));
                      assertThat(problem.get("reason").asString())
                          .isEqualTo(entry.get("kind").asString());
                      assertThat(problem.toString())
                          .doesNotContain("at dev.graft")
                          .doesNotContain("Exception");

                      assertThat(json(get("/api/v1/checkpoints?size=1")).get("total").asLong())
                          .isEqualTo(rowsBefore);
                      assertThat(blobCount()).isEqualTo(blobsBefore);
                      assertThat(tmpCount()).isZero();
                      assertThat(get("/actuator/health").statusCode()).isEqualTo(200);
                    }));
  }

  @AfterAll
  static void noPayloadEverRan() throws IOException {
    // Every code-execution payload in the corpus would create /tmp/graft-pwned* if anything ran it.
    assertThat(markers()).isEmpty();
  }

  static List<Path> markers() throws IOException {
    try (Stream<Path> s = Files.list(TMP)) {
      return s.filter(p -> p.getFileName().toString().startsWith("graft-pwned")).toList();
    }
  }

  static void deleteMarkers() throws IOException {
    for (Path p : markers()) {
      Files.deleteIfExists(p);
    }
  }
}
