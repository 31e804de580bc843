package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.WorkerlessTest;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * A queued run pins every checkpoint it names as a source, not only its first: deleting any of them
 * is refused while the run may still read it, and the collector keeps its bytes. No worker runs
 * here, so the run stays queued until the test cancels it.
 */
class MultiSourceRunVetoTests extends WorkerlessTest {

  private static final String FIXTURES = "fixtures/multisource/";

  @Autowired BlobGc gc;
  @Autowired BlobStore blobs;

  private JsonNode upload(String kind, String file) throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/" + kind + "?name=veto-" + file, resource(FIXTURES + file));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r);
  }

  @Test
  void shouldRefuseDeletingAnySourceOfAQueuedRunAndKeepItsBytes() throws Exception {
    JsonNode first = upload("checkpoints", "clip_towers_from_two_files.source0.safetensors");
    JsonNode second = upload("checkpoints", "clip_towers_from_two_files.source1.pt");
    JsonNode arch = upload("architectures", "clip_towers_from_two_files.target.pt");
    HttpResponse<String> submitted =
        postJson(
            "/api/v1/warm-starts",
            "{\"sources\":[{\"checkpointId\":\""
                + first.get("id").asString()
                + "\",\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"model.\"},"
                + "{\"type\":\"addPrefix\",\"prefix\":\"visual.\"}]},{\"checkpointId\":\""
                + second.get("id").asString()
                + "\",\"keyRules\":[{\"type\":\"addPrefix\",\"prefix\":\"text.\"}]}],"
                + "\"architectureId\":\""
                + arch.get("id").asString()
                + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\"veto-sources\"}}");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode run = json(submitted);
    assertThat(run.get("status").asString()).isEqualTo("QUEUED");
    assertThat(run.get("checkpointId").asString()).isEqualTo(first.get("id").asString());

    String secondPath = "/api/v1/checkpoints/" + second.get("id").asString();
    HttpResponse<String> refused = delete(secondPath);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    assertThat(json(refused).get("detail").asString()).contains("queued or running");
    String sha = second.get("sha256").asString();
    assertThat(gc.collect(sha)).as("the collector keeps a pinned source's bytes").isFalse();
    assertThat(blobs.exists(sha)).isTrue();

    // Once the run has ended, the source is no longer pinned.
    HttpResponse<String> cancelled =
        postJson("/api/v1/warm-starts/" + run.get("id").asString() + "/cancel", "");
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    HttpResponse<String> deleted = delete(secondPath);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
  }
}
