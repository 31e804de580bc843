package dev.graft.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Layout diffs over HTTP between torch-made checkpoints, architectures and a model version made by
 * a run (fixtures of {@code scripts/make_multisource_oracle.py}).
 */
class DiffApiTests extends IntegrationTest {

  private static final String FIXTURES = "fixtures/multisource/";

  private String upload(String kind, String file) throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/" + kind + "?name=diff-" + file, resource(FIXTURES + file));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r).get("id").asString();
  }

  private static List<String> keys(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.get("key").asString()));
    return out;
  }

  @Test
  void shouldSuggestThePrefixThatReconcilesAResNetWithAnEncoderThatWrapsIt() throws Exception {
    String ckpt = upload("checkpoints", "encoder_from_resnet_head_from_classifier.source0.pt");
    String arch = upload("architectures", "encoder_from_resnet_head_from_classifier.target.pt");

    HttpResponse<String> r =
        postJson(
            "/api/v1/diffs",
            "{\"left\":{\"checkpointId\":\""
                + ckpt
                + "\"},\"right\":{\"architectureId\":\""
                + arch
                + "\"}}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode d = json(r);
    assertThat(d.get("unchanged").asInt()).isZero();
    assertThat(d.get("removed")).hasSize(44);
    assertThat(d.get("added")).hasSize(44);
    assertThat(keys(d.get("added"))).startsWith("encoder.conv1.weight").endsWith("head.bias");
    assertThat(keys(d.get("removed"))).startsWith("conv1.weight").endsWith("fc.bias");
    JsonNode best = d.get("suggestedKeyRules").get(0);
    assertThat(best.get("rule").get("type").asString()).isEqualTo("addPrefix");
    assertThat(best.get("rule").get("prefix").asString()).isEqualTo("encoder.");
    // Every trunk tensor of the ResNet, i.e. all 44 but fc's two.
    assertThat(best.get("gain").asInt()).isEqualTo(42);
  }

  @Test
  void shouldReportShapeAndDtypeChangesAgainstAJsonArchitecture() throws Exception {
    String ckpt = upload("checkpoints", "overlapping_sources_first_wins.source0.pt");
    String doc =
        """
        {"name": "Mlp", "entries": [
          {"key": "fc1.weight", "dtype": "float16", "shape": [6, 4], "kind": "PARAMETER", "init": {"scheme": "zeros"}},
          {"key": "fc1.bias",   "dtype": "float32", "shape": [6],    "kind": "PARAMETER", "init": {"scheme": "zeros"}},
          {"key": "fc2.weight", "dtype": "float32", "shape": [4, 6], "kind": "PARAMETER", "init": {"scheme": "zeros"}},
          {"key": "fc2.bias",   "dtype": "float32", "shape": [3],    "kind": "PARAMETER", "init": {"scheme": "zeros"}}]}""";
    HttpResponse<String> arch = postJson("/api/v1/architectures", doc);
    assertThat(arch.statusCode()).as(arch.body()).isIn(200, 201);

    JsonNode d =
        json(
            postJson(
                "/api/v1/diffs",
                "{\"left\":{\"checkpointId\":\""
                    + ckpt
                    + "\"},\"right\":{\"architectureId\":\""
                    + json(arch).get("id").asString()
                    + "\"}}"));

    assertThat(d.get("added")).isEmpty();
    assertThat(d.get("removed")).isEmpty();
    assertThat(d.get("unchanged").asInt()).isEqualTo(2);
    assertThat(d.get("shapeChanged")).hasSize(1);
    assertThat(d.get("shapeChanged").get(0).get("key").asString()).isEqualTo("fc2.weight");
    assertThat(d.get("shapeChanged").get(0).get("leftShape").toString()).isEqualTo("[3,6]");
    assertThat(d.get("shapeChanged").get(0).get("rightShape").toString()).isEqualTo("[4,6]");
    assertThat(d.get("dtypeChanged")).hasSize(1);
    assertThat(d.get("dtypeChanged").get(0).get("leftDtype").asString()).isEqualTo("float32");
    assertThat(d.get("dtypeChanged").get(0).get("rightDtype").asString()).isEqualTo("float16");
    assertThat(d.get("suggestedKeyRules")).isEmpty();
  }

  @Test
  void shouldCompareAModelVersionWithTheCheckpointItCameFrom() throws Exception {
    String ckpt = upload("checkpoints", "overlapping_sources_first_wins.source0.pt");
    String arch = upload("architectures", "overlapping_sources_first_wins.target.pt");
    String model = "diff-" + UUID.randomUUID();
    HttpResponse<String> submitted =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\""
                + model
                + "\",\"formats\":[\"pytorch\"]}}");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(submitted).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");

    JsonNode d =
        json(
            postJson(
                "/api/v1/diffs",
                "{\"left\":{\"checkpointId\":\""
                    + ckpt
                    + "\"},\"right\":{\"model\":\""
                    + model
                    + "\",\"version\":1}}"));

    assertThat(keys(d.get("added"))).containsExactly("extra.weight", "extra.bias");
    assertThat(d.get("removed")).isEmpty();
    assertThat(d.get("unchanged").asInt()).isEqualTo(4);

    // The same run split into one-tensor shards: the version's layout is read across its shards
    // (its own blob is then the index file), and the diff is the same.
    HttpResponse<String> sharded =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\""
                + model
                + "\",\"formats\":[\"safetensors\",\"pytorch\"],\"maxShardSize\":\"1\"}}");
    assertThat(sharded.statusCode()).as(sharded.body()).isEqualTo(202);
    JsonNode shardedRun = awaitRun(json(sharded).get("id").asString());
    assertThat(shardedRun.get("status").asString())
        .as(shardedRun.toString())
        .isEqualTo("SUCCEEDED");
    JsonNode v2 = json(get("/api/v1/models/" + model + "/versions/2"));
    assertThat(v2.get("artifacts").get(0).get("shards").size()).isGreaterThan(1);
    JsonNode d2 =
        json(
            postJson(
                "/api/v1/diffs",
                "{\"left\":{\"checkpointId\":\""
                    + ckpt
                    + "\"},\"right\":{\"model\":\""
                    + model
                    + "\",\"version\":2}}"));
    assertThat(d2).isEqualTo(d);
  }

  @Test
  void shouldRefuseASideThatNamesNothingOrTwoThingsOrSomethingUnknown() throws Exception {
    String ckpt = upload("checkpoints", "overlapping_sources_first_wins.source0.pt");
    HttpResponse<String> two =
        postJson(
            "/api/v1/diffs",
            "{\"left\":{\"checkpointId\":\""
                + ckpt
                + "\",\"model\":\"m\",\"version\":1},\"right\":{\"checkpointId\":\""
                + ckpt
                + "\"}}");
    assertThat(two.statusCode()).isEqualTo(400);
    assertThat(json(two).get("errors").get(0).get("field").asString()).isEqualTo("left");

    HttpResponse<String> none =
        postJson("/api/v1/diffs", "{\"left\":{\"checkpointId\":\"" + ckpt + "\"}}");
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(json(none).get("errors").get(0).get("field").asString()).isEqualTo("right");

    HttpResponse<String> unknown =
        postJson(
            "/api/v1/diffs",
            "{\"left\":{\"checkpointId\":\""
                + ckpt
                + "\"},\"right\":{\"model\":\"no-such-model-"
                + UUID.randomUUID()
                + "\",\"version\":1}}");
    assertThat(unknown.statusCode()).isEqualTo(422);
    assertThat(json(unknown).get("errors").get(0).get("field").asString())
        .isEqualTo("right.version");
  }
}
