package dev.graft.warmstart;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.TestSupport;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import dev.graft.preview.MultiSourcePreviewApiTests;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs from several checkpoints, against torch: each case of {@code
 * scripts/make_multisource_oracle.py} is uploaded and run as a user would, and every tensor of the
 * registered artifacts must be, bit for bit, what torch's successive {@code
 * load_state_dict(filtered_i, strict=False)} calls in reverse source order gave (the SHA-256s the
 * script recorded); the {@code pytorch} artifact is read back by torch itself. Strict failures end
 * FAILED with torch's text and register nothing; a source its globs leave empty is refused.
 */
class MultiSourceRunTests extends IntegrationTest {

  private static final String FIXTURES = MultiSourcePreviewApiTests.FIXTURES;

  @TestFactory
  Stream<DynamicTest> shouldRegisterWhatTorchLoadsFromTheSourcesInReverseOrder() throws Exception {
    JsonNode cases =
        JSON.readTree(Files.readAllBytes(resource(FIXTURES + "cases.json"))).get("cases");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : cases) {
      tests.add(DynamicTest.dynamicTest(c.get("name").asString(), () -> check(c)));
    }
    return tests.stream();
  }

  private void check(JsonNode c) throws Exception {
    List<String> ids = new ArrayList<>();
    ObjectNode body = MultiSourcePreviewApiTests.body(c, this::postFile, ids);
    String model = "ms-" + UUID.randomUUID();
    body.putObject("output")
        .put("model", model)
        .putArray("formats")
        .add("safetensors")
        .add("pytorch");
    HttpResponse<String> r = postJson("/api/v1/warm-starts", body.toString());
    JsonNode e = c.get("expected");
    if (e.has("refused")) {
      // Refused at submission, as the preview refuses it: no run is queued to fail later.
      assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
      assertThat(json(r).get("errors").get(0).get("field").asString())
          .isEqualTo(e.get("refused").asString());
      assertThat(json(r).get("detail").asString()).contains("offers no tensor");
      return;
    }
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(r).get("id").asString());
    JsonNode report = json(get("/api/v1/warm-starts/" + run.get("id").asString() + "/report"));
    assertThat(report.get("outcome").asString()).isEqualTo(e.get("outcome").asString());
    assertThat(MultiSourcePreviewApiTests.strings(report.get("unexpectedKeys")))
        .containsExactlyElementsOf(MultiSourcePreviewApiTests.strings(e.get("unexpectedKeys")));
    assertThat(MultiSourcePreviewApiTests.strings(report.get("missingKeys")))
        .containsExactlyElementsOf(MultiSourcePreviewApiTests.strings(e.get("missingKeys")));
    if (e.get("outcome").asString().equals("FAILED")) {
      assertThat(run.get("status").asString()).isEqualTo("FAILED");
      assertThat(run.get("error").asString()).isEqualTo(e.get("error").asString());
      assertThat(run.get("modelVersion").isNull()).isTrue();
      assertThat(get("/api/v1/models/" + model).statusCode()).isEqualTo(404);
      return;
    }
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    for (JsonNode entry : report.get("entries")) {
      JsonNode from = e.get("sourceIndex").get(entry.get("targetKey").asString());
      if (from != null) {
        assertThat(entry.get("sourceIndex").asInt())
            .as(entry.get("targetKey").asString())
            .isEqualTo(from.asInt());
      }
    }

    Map<String, String> expected = new LinkedHashMap<>();
    e.get("sha256").properties().forEach(p -> expected.put(p.getKey(), p.getValue().asString()));
    assertThat(tensorHashes(download(model, 1, "safetensors")))
        .as("safetensors artifact")
        .containsExactlyInAnyOrderEntriesOf(expected);
    Path pytorch = download(model, 1, "pytorch");
    assertThat(tensorHashes(pytorch))
        .as("pytorch artifact")
        .containsExactlyInAnyOrderEntriesOf(expected);
    if (TestSupport.torchAvailable()) {
      JsonNode loaded = JSON.readTree(TestSupport.torchLoad(pytorch)).get("sha256");
      Map<String, String> byTorch = new LinkedHashMap<>();
      loaded.properties().forEach(p -> byTorch.put(p.getKey(), p.getValue().asString()));
      assertThat(byTorch)
          .as("pytorch artifact as torch loads it")
          .containsExactlyInAnyOrderEntriesOf(expected);
    }

    JsonNode lineage = json(get("/api/v1/models/" + model + "/versions/1")).get("lineage");
    assertThat(lineage.get("checkpointId").asString()).isEqualTo(ids.get(0));
    assertThat(lineage.get("sources")).hasSize(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      JsonNode s = lineage.get("sources").get(i);
      JsonNode checkpoint = json(get("/api/v1/checkpoints/" + ids.get(i)));
      assertThat(s.get("checkpointId").asString()).isEqualTo(ids.get(i));
      assertThat(s.get("checkpointSha256").asString())
          .isEqualTo(checkpoint.get("sha256").asString());
      assertThat(s.get("include"))
          .isEqualTo(
              body.get("sources").get(i).path("include").isMissingNode()
                  ? JSON.createArrayNode()
                  : body.get("sources").get(i).get("include"));
    }
    // The console's version page names every source.
    String page = consolePage("/console/models/" + model + "/versions/1");
    for (int i = 0; i < ids.size(); i++) {
      assertThat(page)
          .contains("/console/checkpoints/" + ids.get(i))
          .contains(
              lineage.get("sources").get(i).get("checkpointSha256").asString().substring(0, 12));
    }
    // Every source is in the version's lineage: none can be deleted from under it.
    HttpResponse<String> delete = delete("/api/v1/checkpoints/" + ids.get(ids.size() - 1));
    assertThat(delete.statusCode()).as(delete.body()).isEqualTo(409);
    assertThat(json(delete).get("detail").asString())
        .contains("is the lineage of model")
        .contains(model + " version 1");
  }

  /** A console page, as a person signed in with the admin token sees it. */
  private String consolePage(String path) throws Exception {
    java.net.http.HttpClient c =
        java.net.http.HttpClient.newBuilder()
            .cookieHandler(new java.net.CookieManager())
            .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
            .build();
    String login =
        c.send(
                java.net.http.HttpRequest.newBuilder(uri("/console/login")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    java.util.regex.Matcher csrf =
        java.util.regex.Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(login);
    assertThat(csrf.find()).isTrue();
    HttpResponse<String> signedIn =
        c.send(
            java.net.http.HttpRequest.newBuilder(uri("/console/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "token="
                            + java.net.URLEncoder.encode(
                                ADMIN_TOKEN, java.nio.charset.StandardCharsets.UTF_8)
                            + "&_csrf="
                            + java.net.URLEncoder.encode(
                                csrf.group(1), java.nio.charset.StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(signedIn.statusCode()).isEqualTo(302);
    HttpResponse<String> page =
        c.send(
            java.net.http.HttpRequest.newBuilder(uri(path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    return page.body();
  }

  /** Each tensor of an artifact, as Graft's reader finds it, by the SHA-256 of its bytes. */
  static Map<String, String> tensorHashes(Path artifact) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (FileChannel ch = FileChannel.open(artifact, StandardOpenOption.READ)) {
      CheckpointIndex index = CheckpointReader.read(ch, null, null, ReadLimits.defaults());
      for (TensorInfo t : index.tensors()) {
        out.put(t.key(), sha256(TensorData.readContiguous(ch, t)));
      }
    }
    return out;
  }

  private String upload(String kind, String file) throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/" + kind + "?name=" + file, resource(FIXTURES + file));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r).get("id").asString();
  }

  private JsonNode runTo(String model, String sourcesOrCheckpoint, String arch) throws Exception {
    HttpResponse<String> r =
        postJson(
            "/api/v1/warm-starts",
            "{"
                + sourcesOrCheckpoint
                + ",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\""
                + model
                + "\",\"formats\":[\"safetensors\"]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(r).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    return run;
  }

  @Test
  void shouldRunOneSourceWithoutGlobsExactlyAsACheckpointId() throws Exception {
    String ckpt = upload("checkpoints", "overlapping_sources_first_wins.source1.pt");
    String arch = upload("architectures", "overlapping_sources_first_wins.target.pt");
    String plain = "plain-" + UUID.randomUUID();
    String one = "one-" + UUID.randomUUID();
    String empty = "empty-" + UUID.randomUUID();
    JsonNode a = runTo(plain, "\"checkpointId\":\"" + ckpt + "\"", arch);
    JsonNode b = runTo(one, "\"sources\":[{\"checkpointId\":\"" + ckpt + "\"}]", arch);
    // What generated clients send for an unset list: no sources.
    runTo(empty, "\"checkpointId\":\"" + ckpt + "\",\"sources\":[]", arch);

    assertThat(json(get("/api/v1/warm-starts/" + b.get("id").asString() + "/report")))
        .isEqualTo(json(get("/api/v1/warm-starts/" + a.get("id").asString() + "/report")));
    Map<String, String> expected = tensorHashes(download(plain, 1, "safetensors"));
    assertThat(tensorHashes(download(one, 1, "safetensors"))).isEqualTo(expected);
    assertThat(tensorHashes(download(empty, 1, "safetensors"))).isEqualTo(expected);
    for (String model : List.of(plain, one, empty)) {
      JsonNode lineage = json(get("/api/v1/models/" + model + "/versions/1")).get("lineage");
      assertThat(lineage.get("sources")).hasSize(1);
      assertThat(lineage.at("/sources/0/checkpointId").asString()).isEqualTo(ckpt);
      assertThat(lineage.at("/sources/0/checkpointSha256").asString())
          .isEqualTo(lineage.get("checkpointSha256").asString());
    }
  }

  @Test
  void shouldRefuseBothCheckpointIdAndSourcesAndNameAnUnknownSource() throws Exception {
    String ckpt = upload("checkpoints", "overlapping_sources_first_wins.source0.pt");
    String arch = upload("architectures", "overlapping_sources_first_wins.target.pt");
    String output = ",\"architectureId\":\"" + arch + "\",\"output\":{\"model\":\"refused\"}}";
    HttpResponse<String> both =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"sources\":[{\"checkpointId\":\""
                + ckpt
                + "\"}]"
                + output);
    assertThat(both.statusCode()).as(both.body()).isEqualTo(400);
    assertThat(json(both).get("errors").get(0).get("field").asString()).isEqualTo("sources");

    HttpResponse<String> unknown =
        postJson(
            "/api/v1/warm-starts",
            "{\"sources\":[{\"checkpointId\":\""
                + ckpt
                + "\"},{\"checkpointId\":\""
                + UUID.randomUUID()
                + "\"}]"
                + output);
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(422);
    assertThat(json(unknown).get("errors").get(0).get("field").asString())
        .isEqualTo("sources[1].checkpointId");

    HttpResponse<String> badRule =
        postJson(
            "/api/v1/warm-starts",
            "{\"sources\":[{\"checkpointId\":\""
                + ckpt
                + "\",\"keyRules\":[{\"type\":\"regex\",\"pattern\":\"(\",\"replacement\":\"x\"}]}]"
                + output);
    assertThat(badRule.statusCode()).as(badRule.body()).isBetween(400, 422);
  }
}
