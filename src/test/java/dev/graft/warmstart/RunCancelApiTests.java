package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A cancel sent over HTTP reaches a RUNNING run on this replica directly: the run ends CANCELLED
 * long before its worker would have finished, with no version and no work folder left. The time
 * from the cancel's answer to CANCELLED is printed (it is measured, not asserted beyond a generous
 * bound).
 */
class RunCancelApiTests extends IntegrationTest {

  /** 64 float32 entries of 16 MiB each, initialised on the engine: seconds of work at least. */
  private static String bigJsonArchitecture() {
    ObjectNode body = JSON.createObjectNode();
    body.put("name", "Big");
    ArrayNode entries = body.putArray("entries");
    for (int i = 0; i < 64; i++) {
      ObjectNode e = entries.addObject();
      e.put("key", "layer" + i + ".weight");
      e.put("dtype", "float32");
      e.putArray("shape").add(2048).add(2048);
      e.put("kind", "PARAMETER");
      e.putObject("init").put("scheme", "normal");
    }
    return body.toString();
  }

  @Test
  void shouldCancelARunningRunWithinASecondOrSo() throws Exception {
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=cancel-source",
                resource(ORACLE + "bfloat16_into_float.ckpt.pt")))
            .get("id")
            .asString();
    HttpResponse<String> arch = postJson("/api/v1/architectures", bigJsonArchitecture());
    assertThat(arch.statusCode()).as(arch.body()).isEqualTo(201);
    String body =
        "{\"checkpointId\":\""
            + ckpt
            + "\",\"architectureId\":\""
            + json(arch).get("id").asString()
            + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\"cancelled-big\","
            + "\"formats\":[\"safetensors\"]}}";
    HttpResponse<String> submitted = postJson("/api/v1/warm-starts", body);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    String id = json(submitted).get("id").asString();

    JsonNode run = json(get("/api/v1/warm-starts/" + id));
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!run.get("status").asString().equals("RUNNING")
        || run.get("progress").get("tensorsDone").asInt() < 1) {
      assertThat(run.get("status").asString()).isIn("QUEUED", "RUNNING");
      assertThat(System.nanoTime()).as("run never got going").isLessThan(deadline);
      Thread.sleep(10);
      run = json(get("/api/v1/warm-starts/" + id));
    }
    HttpResponse<String> cancel = postJson("/api/v1/warm-starts/" + id + "/cancel", "");
    long answered = System.nanoTime();
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);

    JsonNode ended = awaitRun(id);
    long millis = (System.nanoTime() - answered) / 1_000_000;
    System.out.printf(
        "cancel latency: RUNNING run (%d of %d tensors done) CANCELLED %d ms after the cancel"
            + " answered%n",
        ended.get("progress").get("tensorsDone").asInt(),
        ended.get("progress").get("tensorsTotal").asInt(),
        millis);
    assertThat(ended.get("status").asString()).isEqualTo("CANCELLED");
    assertThat(ended.get("progress").get("tensorsDone").asInt())
        .isLessThan(ended.get("progress").get("tensorsTotal").asInt());
    assertThat(millis).isLessThan(10_000);
    assertThat(get("/api/v1/models/cancelled-big/versions/1").statusCode()).isEqualTo(404);
    Path work = DATA_DIR.resolve("work");
    if (Files.isDirectory(work)) {
      try (Stream<Path> left = Files.list(work)) {
        assertThat(left.filter(p -> p.getFileName().toString().startsWith(id))).isEmpty();
      }
    }
  }
}
