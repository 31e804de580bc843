package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Coverage gates in runs: a run below a gate fails with the gate's text and makes no version. */
class CoverageGateRunTests extends IntegrationTest {

  private static final String FIXTURES = "fixtures/multisource/";

  private String upload(String kind, String file) throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/" + kind + "?name=gate-" + file, resource(FIXTURES + file));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r).get("id").asString();
  }

  private HttpResponse<String> submit(String ckpt, String arch, String options, String model)
      throws Exception {
    return postJson(
        "/api/v1/warm-starts",
        "{\"checkpointId\":\""
            + ckpt
            + "\",\"architectureId\":\""
            + arch
            + "\",\"options\":"
            + options
            + ",\"output\":{\"model\":\""
            + model
            + "\",\"formats\":[\"safetensors\"]}}");
  }

  @Test
  void shouldFailALenientRunBelowAGateAndRegisterNothing() throws Exception {
    // An Mlp checkpoint into MlpWithExtra: extra.* (8 of 59 elements) stays initialised.
    String ckpt = upload("checkpoints", "overlapping_sources_first_wins.source0.pt");
    String arch = upload("architectures", "overlapping_sources_first_wins.target.pt");
    String model = "gate-" + UUID.randomUUID();

    HttpResponse<String> r =
        submit(
            ckpt,
            arch,
            "{\"strict\":false,\"require\":[{\"prefix\":\"extra.\",\"minLoadedFraction\":0.5}]}",
            model);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(r).get("id").asString());

    assertThat(run.get("status").asString()).isEqualTo("FAILED");
    assertThat(run.get("error").asString())
        .contains("coverage gate 'extra.': loaded fraction 0.0 (0 of 8 elements)")
        .contains("required 0.5");
    JsonNode report = json(get("/api/v1/warm-starts/" + run.get("id").asString() + "/report"));
    assertThat(report.get("coverage").get(0).get("loadedFraction").asDouble()).isEqualTo(0.0);
    assertThat(get("/api/v1/models/" + model).statusCode()).isEqualTo(404);

    HttpResponse<String> passing =
        submit(
            ckpt,
            arch,
            "{\"strict\":false,\"require\":[{\"prefix\":\"fc\",\"minLoadedFraction\":1.0}]}",
            model);
    JsonNode ok = awaitRun(json(passing).get("id").asString());
    assertThat(ok.get("status").asString()).as(ok.toString()).isEqualTo("SUCCEEDED");
    JsonNode version = json(get("/api/v1/models/" + model + "/versions/1"));
    assertThat(version.at("/lineage/options/require/0/prefix").asString()).isEqualTo("fc");
  }

  @Test
  void shouldGateARunFromSeveralSourcesOnTheMergedLoad() throws Exception {
    // Only fc1 from the first source, everything else from the second: extra.* stays initialised.
    String first = upload("checkpoints", "overlapping_sources_first_filtered.source0.pt");
    String second = upload("checkpoints", "overlapping_sources_first_filtered.source1.safetensors");
    String arch = upload("architectures", "overlapping_sources_first_filtered.target.pt");
    HttpResponse<String> r =
        postJson(
            "/api/v1/warm-starts",
            "{\"sources\":[{\"checkpointId\":\""
                + first
                + "\",\"include\":[\"fc1.*\"]},{\"checkpointId\":\""
                + second
                + "\"}],\"architectureId\":\""
                + arch
                + "\",\"options\":{\"strict\":false,\"require\":[{\"prefix\":\"fc\",\"minLoadedFraction\":1.0}]},"
                + "\"output\":{\"model\":\"gate-sources-"
                + UUID.randomUUID()
                + "\"}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(r).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
  }
}
