package dev.graft.preview;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Previews from several checkpoints, against torch: each case of {@code
 * scripts/make_multisource_oracle.py} is uploaded as a user would, and the preview must say what
 * torch's {@code load_state_dict} did with the merged state dict, and which source each key came
 * from. Coverage gates over HTTP are checked here too.
 */
public class MultiSourcePreviewApiTests extends IntegrationTest {

  public static final String FIXTURES = "fixtures/multisource/";

  /** The request body of a case, every file uploaded; {@code checkpointIds} gets the ids. */
  public static ObjectNode body(JsonNode c, HttpPosting poster, List<String> checkpointIds)
      throws Exception {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode sources = body.putArray("sources");
    for (JsonNode s : c.get("sources")) {
      HttpResponse<String> up =
          poster.post(
              "/api/v1/checkpoints?name=" + s.get("file").asString(),
              resource(FIXTURES + s.get("file").asString()));
      assertThat(up.statusCode()).as(up.body()).isIn(200, 201);
      String id = json(up).get("id").asString();
      checkpointIds.add(id);
      ObjectNode source = sources.addObject();
      source.put("checkpointId", id);
      for (String field : List.of("keyRules", "include", "exclude")) {
        if (s.has(field)) {
          source.set(field, s.get(field));
        }
      }
    }
    HttpResponse<String> arch =
        poster.post(
            "/api/v1/architectures?name=" + c.get("targetName").asString(),
            resource(FIXTURES + c.get("targetFile").asString()));
    assertThat(arch.statusCode()).as(arch.body()).isIn(200, 201);
    body.put("architectureId", json(arch).get("id").asString());
    body.set("options", c.get("options"));
    return body;
  }

  /** Uploads a file. */
  public interface HttpPosting {
    HttpResponse<String> post(String path, java.nio.file.Path file) throws Exception;
  }

  public static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.asString()));
    return out;
  }

  @TestFactory
  Stream<DynamicTest> shouldPreviewWhatTorchDidWithTheMergedStateDict() throws Exception {
    JsonNode cases =
        JSON.readTree(Files.readAllBytes(resource(FIXTURES + "cases.json"))).get("cases");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : cases) {
      tests.add(DynamicTest.dynamicTest(c.get("name").asString(), () -> check(c)));
    }
    return tests.stream();
  }

  private void check(JsonNode c) throws Exception {
    ObjectNode body = body(c, this::postFile, new ArrayList<>());
    HttpResponse<String> r = postJson("/api/v1/previews", body.toString());
    JsonNode e = c.get("expected");
    if (e.has("refused")) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
      assertThat(json(r).get("errors").get(0).get("field").asString())
          .isEqualTo(e.get("refused").asString());
      assertThat(json(r).get("detail").asString()).contains("offers no tensor");
      return;
    }
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode report = json(r);
    assertThat(report.get("outcome").asString()).isEqualTo(e.get("outcome").asString());
    assertThat(strings(report.get("missingKeys")))
        .containsExactlyElementsOf(strings(e.get("missingKeys")));
    assertThat(strings(report.get("unexpectedKeys")))
        .containsExactlyElementsOf(strings(e.get("unexpectedKeys")));
    if (e.get("error").isNull()) {
      assertThat(report.get("error").isNull()).isTrue();
    } else {
      assertThat(report.get("error").asString()).isEqualTo(e.get("error").asString());
    }
    for (JsonNode entry : report.get("entries")) {
      JsonNode from = e.get("sourceIndex").get(entry.get("targetKey").asString());
      if (from == null) {
        assertThat(entry.path("sourceIndex").isMissingNode())
            .as(entry.get("targetKey").asString())
            .isTrue();
      } else {
        assertThat(entry.get("sourceIndex").asInt())
            .as(entry.get("targetKey").asString())
            .isEqualTo(from.asInt());
      }
    }
  }

  @Test
  void shouldPreviewOneSourceWithoutGlobsExactlyAsACheckpointId() throws Exception {
    String ckpt =
        json(postFile("/api/v1/checkpoints?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    String arch =
        json(postFile("/api/v1/architectures?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    String options = ",\"options\":{\"strict\":false}";
    HttpResponse<String> plain =
        postJson(
            "/api/v1/previews",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\""
                + options
                + "}");
    HttpResponse<String> sources =
        postJson(
            "/api/v1/previews",
            "{\"sources\":[{\"checkpointId\":\""
                + ckpt
                + "\"}],\"architectureId\":\""
                + arch
                + "\""
                + options
                + "}");

    assertThat(sources.statusCode()).isEqualTo(200);
    assertThat(json(sources)).isEqualTo(json(plain));
  }

  @Test
  void shouldRefuseBothCheckpointIdAndSourcesAndNameAnUnknownSource() throws Exception {
    String ckpt =
        json(postFile("/api/v1/checkpoints?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    String arch =
        json(postFile("/api/v1/architectures?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    HttpResponse<String> both =
        postJson(
            "/api/v1/previews",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"sources\":[{\"checkpointId\":\""
                + ckpt
                + "\"}],\"architectureId\":\""
                + arch
                + "\"}");
    assertThat(both.statusCode()).isEqualTo(400);
    assertThat(json(both).get("errors").get(0).get("field").asString()).isEqualTo("sources");

    // An empty list beside checkpointId is no sources: what generated clients send for an unset
    // list.
    HttpResponse<String> empty =
        postJson(
            "/api/v1/previews",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"sources\":[],\"architectureId\":\""
                + arch
                + "\"}");
    assertThat(empty.statusCode()).as(empty.body()).isEqualTo(200);
    HttpResponse<String> neither =
        postJson("/api/v1/previews", "{\"sources\":[],\"architectureId\":\"" + arch + "\"}");
    assertThat(neither.statusCode()).isEqualTo(400);

    HttpResponse<String> unknown =
        postJson(
            "/api/v1/previews",
            "{\"sources\":[{\"checkpointId\":\""
                + ckpt
                + "\"},{\"checkpointId\":\""
                + java.util.UUID.randomUUID()
                + "\"}],\"architectureId\":\""
                + arch
                + "\"}");
    assertThat(unknown.statusCode()).isEqualTo(422);
    assertThat(json(unknown).get("errors").get(0).get("field").asString())
        .isEqualTo("sources[1].checkpointId");
  }

  @Test
  void shouldFailAPreviewBelowACoverageGateWhateverStrictSays() throws Exception {
    JsonNode c = null;
    for (JsonNode each :
        JSON.readTree(Files.readAllBytes(resource(FIXTURES + "cases.json"))).get("cases")) {
      if (each.get("name").asString().equals("clip_towers_from_two_files")) {
        c = each;
      }
    }
    ObjectNode body = body(c, this::postFile, new ArrayList<>());
    // Only the vision tower: text.* stays initialised.
    ((ArrayNode) body.get("sources")).remove(1);
    ObjectNode options = body.putObject("options");
    options.put("strict", false);
    ArrayNode require = options.putArray("require");
    require.addObject().put("prefix", "visual.").put("minLoadedFraction", 1.0);
    require.addObject().put("prefix", "text.").put("minLoadedFraction", 0.5);

    HttpResponse<String> r = postJson("/api/v1/previews", body.toString());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode report = json(r);
    assertThat(report.get("outcome").asString()).isEqualTo("FAILED");
    assertThat(report.get("coverage").get(0).get("loadedFraction").asDouble()).isEqualTo(1.0);
    assertThat(report.get("coverage").get(0).get("met").asBoolean()).isTrue();
    assertThat(report.get("coverage").get(1).get("loadedFraction").asDouble()).isEqualTo(0.0);
    assertThat(report.get("error").asString())
        .contains("coverage gate 'text.'")
        .contains("loaded fraction 0.0")
        .contains("required 0.5");

    options.remove("require");
    HttpResponse<String> ungated = postJson("/api/v1/previews", body.toString());
    assertThat(json(ungated).get("outcome").asString()).isEqualTo("OK");

    options.putArray("require").addObject().put("prefix", "text.").put("minLoadedFraction", 2);
    HttpResponse<String> bad = postJson("/api/v1/previews", body.toString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("errors").get(0).get("field").asString())
        .isEqualTo("options.require[0].minLoadedFraction");
  }
}
