package dev.graft.preview;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The torch oracle over HTTP: every case's checkpoint and target are uploaded as a user would, and
 * the preview must say what torch's {@code load_state_dict} did.
 */
class PreviewApiTests extends IntegrationTest {

  private static final String ORACLE = "fixtures/oracle/";

  private HttpResponse<String> preview(String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri("/api/v1/previews"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.asString()));
    return out;
  }

  /**
   * Each case three ways where it can: the target as {@code state_dict(keep_vars=True)}, as a
   * TorchScript archive of the same model, and as a JSON description (no values).
   */
  @TestFactory
  Stream<DynamicTest> shouldPreviewWhatTorchDidForEveryOracleCase() throws Exception {
    JsonNode cases =
        JSON.readTree(Files.readAllBytes(resource(ORACLE + "cases.json"))).get("cases");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : cases) {
      String name = c.get("name").asString();
      String model = c.get("target").get("name").asString();
      tests.add(
          DynamicTest.dynamicTest(
              name,
              () ->
                  check(
                      c,
                      postFile(
                          "/api/v1/architectures?name=" + model,
                          resource(ORACLE + c.get("targetFile").asString())))));
      if (!c.path("targetScriptFile").isNull() && !c.path("targetScriptFile").isMissingNode()) {
        tests.add(
            DynamicTest.dynamicTest(
                name + " (TorchScript target)",
                () -> {
                  HttpResponse<String> arch =
                      postFile(
                          "/api/v1/architectures?name=" + model,
                          resource(ORACLE + c.get("targetScriptFile").asString()));
                  assertThat(json(arch).get("source").asString()).isEqualTo("TORCHSCRIPT");
                  check(c, arch);
                }));
      }
      tests.add(
          DynamicTest.dynamicTest(
              name + " (JSON target)",
              () -> {
                ObjectNode doc = JSON.createObjectNode();
                doc.put("name", model);
                doc.set("entries", c.get("target").get("entries"));
                HttpResponse<String> arch =
                    http.send(
                        HttpRequest.newBuilder(uri("/api/v1/architectures"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(doc.toString()))
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(arch.statusCode()).as(arch.body()).isIn(200, 201);
                check(c, arch);
              }));
    }
    return tests.stream();
  }

  private void check(JsonNode c, HttpResponse<String> arch) throws Exception {
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=" + c.get("name").asString(),
                resource(ORACLE + c.get("checkpointFile").asString())))
            .get("id")
            .asString();
    String archId = json(arch).get("id").asString();
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", ckpt);
    body.put("architectureId", archId);
    body.set("options", c.get("options"));

    HttpResponse<String> r = preview(body.toString());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode report = json(r);
    JsonNode e = c.get("expected");
    assertThat(report.get("outcome").asString()).isEqualTo(e.get("outcome").asString());
    assertThat(strings(report.get("missingKeys")))
        .containsExactlyElementsOf(strings(e.get("missingKeys")));
    assertThat(strings(report.get("unexpectedKeys")))
        .containsExactlyElementsOf(strings(e.get("unexpectedKeys")));
    if (json(arch).get("name").asString().equals(c.get("target").get("name").asString())) {
      // The error names the model; identical target bytes stored under another name keep that name.
      assertThat(report.get("error").isNull() ? null : report.get("error").asString())
          .isEqualTo(e.get("error").isNull() ? null : e.get("error").asString());
    }
    assertThat(report.get("strict").asBoolean())
        .isEqualTo(c.get("options").path("strict").asBoolean(true));
    if (e.get("outcome").asString().equals("OK")) {
      List<String> loaded = new ArrayList<>();
      report
          .get("entries")
          .forEach(
              en -> {
                if (en.get("status").asString().equals("LOADED")) {
                  loaded.add(en.get("targetKey").asString());
                }
              });
      assertThat(loaded).containsExactlyElementsOf(strings(e.get("loaded")));
    }
  }

  @Test
  void shouldReportNewLayersAsInitializedAndTrainable() throws Exception {
    JsonNode cases =
        JSON.readTree(Files.readAllBytes(resource(ORACLE + "cases.json"))).get("cases");
    JsonNode added = null;
    for (JsonNode c : cases) {
      if (c.get("name").asString().equals("added_layer_lenient")) {
        added = c;
      }
    }
    assertThat(added).as("oracle case added_layer_lenient").isNotNull();
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=a",
                resource(ORACLE + added.get("checkpointFile").asString())))
            .get("id")
            .asString();
    String arch =
        json(postFile(
                "/api/v1/architectures?name=B",
                resource(ORACLE + added.get("targetFile").asString())))
            .get("id")
            .asString();

    JsonNode report =
        json(
            preview(
                "{\"checkpointId\":\""
                    + ckpt
                    + "\",\"architectureId\":\""
                    + arch
                    + "\",\"options\":{\"strict\":false}}"));

    assertThat(report.get("outcome").asString()).isEqualTo("OK");
    List<String> missing = strings(report.get("missingKeys"));
    assertThat(missing).isNotEmpty();
    long trainableInitialized = 0;
    for (JsonNode en : report.get("entries")) {
      if (missing.contains(en.get("targetKey").asString())) {
        assertThat(en.get("status").asString()).isEqualTo("INITIALIZED");
        assertThat(en.get("action").asString()).isEqualTo("INITIALIZED");
        assertThat(en.get("requiresGrad").asBoolean()).isTrue();
        assertThat(en.get("kind").asString()).isEqualTo("PARAMETER");
        long n = 1;
        for (JsonNode s : en.get("shape")) {
          n *= s.asLong();
        }
        trainableInitialized += n;
      }
    }
    JsonNode summary = report.get("summary");
    assertThat(summary.get("trainableInitializedNumel").asLong()).isEqualTo(trainableInitialized);
    assertThat(summary.get("warmStartedFraction").asDouble()).isStrictlyBetween(0.0, 1.0);
    assertThat(summary.get("loaded").asInt() + summary.get("initialized").asInt())
        .isEqualTo(summary.get("targetKeys").asInt());
  }

  @Test
  void shouldListOnlyWhatChangesWithEntriesChangedAndCompressForClientsThatAsk() throws Exception {
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=a", resource(ORACLE + "added_layer_lenient.ckpt.pt")))
            .get("id")
            .asString();
    String arch =
        json(postFile(
                "/api/v1/architectures?name=B", resource(ORACLE + "added_layer_lenient.target.pt")))
            .get("id")
            .asString();
    String body =
        "{\"checkpointId\":\""
            + ckpt
            + "\",\"architectureId\":\""
            + arch
            + "\",\"options\":{\"strict\":false}}";
    JsonNode all = json(preview(body));
    HttpResponse<String> changedResponse = previewWith("?entries=changed", body, false);
    assertThat(changedResponse.statusCode()).as(changedResponse.body()).isEqualTo(200);
    JsonNode changed = json(changedResponse);

    // Exactly the entries that are not LOADED, in target order; everything else of the report is
    // the same.
    List<JsonNode> expected = new ArrayList<>();
    all.get("entries")
        .forEach(
            e -> {
              if (!e.get("status").asString().equals("LOADED")) {
                expected.add(e);
              }
            });
    assertThat(expected).isNotEmpty().hasSizeLessThan(all.get("entries").size());
    assertThat(changed.get("entries")).containsExactlyElementsOf(expected);
    ((ObjectNode) all).remove("entries");
    ((ObjectNode) changed).remove("entries");
    assertThat(changed).isEqualTo(all);

    JsonNode none = json(previewWith("?entries=none", body, false));
    assertThat(none.get("entries")).isEmpty();
    assertThat(none.get("summary")).isEqualTo(all.get("summary"));

    HttpResponse<String> bad = previewWith("?entries=some", body, false);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(bad.body()).contains("entries");
  }

  @Test
  void shouldGzipALargeReportForAClientThatAcceptsItAndOnlyThen() throws Exception {
    // 300 fresh entries: a report of tens of kilobytes, over the compression threshold.
    StringBuilder doc = new StringBuilder("{\"name\":\"Wide\",\"entries\":[");
    for (int i = 0; i < 300; i++) {
      doc.append(i == 0 ? "" : ",")
          .append("{\"key\":\"wide.")
          .append(i)
          .append(".weight\",\"dtype\":\"float32\",\"shape\":[4],")
          .append("\"init\":{\"scheme\":\"zeros\"}}");
    }
    HttpResponse<String> arch =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/architectures"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(doc.append("]}").toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(arch.statusCode()).as(arch.body()).isIn(200, 201);
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=a", resource(ORACLE + "added_layer_lenient.ckpt.pt")))
            .get("id")
            .asString();
    String body =
        "{\"checkpointId\":\""
            + ckpt
            + "\",\"architectureId\":\""
            + json(arch).get("id").asString()
            + "\",\"options\":{\"strict\":false}}";

    HttpResponse<String> plain = previewWith("", body, false);
    assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
    JsonNode expected = json(plain);
    assertThat(expected.get("entries")).hasSize(300);

    HttpResponse<byte[]> gz =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/previews"))
                .header("Content-Type", "application/json")
                .header("Accept-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(gz.statusCode()).isEqualTo(200);
    assertThat(gz.headers().firstValue("Content-Encoding")).hasValue("gzip");
    byte[] inflated =
        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz.body()))
            .readAllBytes();
    assertThat(gz.body().length).isLessThan(inflated.length / 4);
    assertThat(JSON.readTree(inflated)).isEqualTo(expected);
  }

  private HttpResponse<String> previewWith(String query, String body, boolean gzip)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri("/api/v1/previews" + query))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (gzip) {
      b.header("Accept-Encoding", "gzip");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldAnswer422ForUnknownIdsInTheBodyAnd400ForBadOptions() throws Exception {
    String arch =
        json(postFile("/api/v1/architectures?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    HttpResponse<String> unknown =
        preview(
            "{\"checkpointId\":\"" + UUID.randomUUID() + "\",\"architectureId\":\"" + arch + "\"}");
    assertThat(unknown.statusCode()).isEqualTo(422);
    assertThat(json(unknown).get("errors").get(0).get("field").asString())
        .isEqualTo("checkpointId");

    HttpResponse<String> missing = preview("{\"architectureId\":\"" + arch + "\"}");
    assertThat(missing.statusCode()).isEqualTo(422);

    HttpResponse<String> badPolicy =
        preview(
            "{\"checkpointId\":\""
                + UUID.randomUUID()
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"onShapeMismatch\":\"TRUNCATE\"}}");
    assertThat(badPolicy.statusCode()).isEqualTo(400);
    assertThat(json(badPolicy).get("detail").asString()).contains("TRUNCATE");

    HttpResponse<String> badRegex =
        preview(
            "{\"checkpointId\":\""
                + UUID.randomUUID()
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"keyRules\":[{\"type\":\"regex\",\"pattern\":\"(unclosed\",\"replacement\":\"x\"}]}}");
    assertThat(badRegex.statusCode()).isEqualTo(400);
    assertThat(badRegex.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
  }

  @Test
  void shouldNameTheOptionAtFaultWhenOptionsAreRefused() throws Exception {
    String arch =
        json(postFile("/api/v1/architectures?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    String ckpt =
        json(postFile("/api/v1/checkpoints?name=L", resource("fixtures/conformance/linear.pt")))
            .get("id")
            .asString();
    String ids = "\"checkpointId\":\"" + ckpt + "\",\"architectureId\":\"" + arch + "\"";

    HttpResponse<String> badGroup =
        preview(
            "{"
                + ids
                + ",\"options\":{\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"m.\"},"
                + "{\"type\":\"regex\",\"pattern\":\"(a)\",\"replacement\":\"$9\"}]}}");
    assertThat(badGroup.statusCode()).isEqualTo(400);
    assertThat(json(badGroup).get("errors").get(0).get("field").asString())
        .isEqualTo("options.keyRules[1].replacement");
    assertThat(json(badGroup).get("detail").asString()).contains("group $9");

    HttpResponse<String> backtracking =
        preview(
            "{"
                + ids
                + ",\"options\":{\"keyRules\":[{\"type\":\"regex\",\"pattern\":\"(a)\\\\1\","
                + "\"replacement\":\"x\"}]}}");
    assertThat(backtracking.statusCode()).isEqualTo(400);
    assertThat(json(backtracking).get("errors").get(0).get("field").asString())
        .isEqualTo("options.keyRules[0].pattern");

    String rule = "{\"type\":\"addPrefix\",\"prefix\":\"p.\"}";
    HttpResponse<String> tooMany =
        preview(
            "{"
                + ids
                + ",\"options\":{\"keyRules\":["
                + String.join(",", java.util.Collections.nCopies(20_000, rule))
                + "]}}");
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(json(tooMany).get("errors").get(0).get("field").asString())
        .isEqualTo("options.keyRules");

    HttpResponse<String> nul =
        preview("{" + ids + ",\"options\":{\"freeze\":[\"fc.*\",\"a\\u0000\"]}}");
    // Refused while the body is read, before options are bound (JsonBodyGuard).
    assertThat(nul.statusCode()).isEqualTo(400);
    assertThat(json(nul).get("detail").asString()).contains("NUL");

    // Valid on its own, but an empty match between every character multiplies these keys past
    // the key limit: refused when planned, as 422.
    HttpResponse<String> growing =
        preview(
            "{"
                + ids
                + ",\"options\":{\"strict\":false,\"keyRules\":[{\"type\":\"regex\","
                + "\"pattern\":\"\",\"replacement\":\""
                + "x".repeat(1000)
                + "\"}]}}");
    assertThat(growing.statusCode()).isEqualTo(422);
    assertThat(growing.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(json(growing).get("errors").get(0).get("field").asString())
        .isEqualTo("options.keyRules[0]");
  }
}
