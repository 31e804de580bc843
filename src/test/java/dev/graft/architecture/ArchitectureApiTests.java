package dev.graft.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ArchitectureApiTests extends IntegrationTest {

  private HttpResponse<String> postJson(String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri("/api/v1/architectures"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> entries(String id) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    json(get("/api/v1/architectures/" + id + "/entries?size=1000")).get("items").forEach(out::add);
    return out;
  }

  @Test
  void shouldReadKindsAndRequiresGradFromAKeepVarsStateDict() throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/architectures?name=Seq", resource("fixtures/conformance/keep_vars.pt"));

    assertThat(r.statusCode()).isIn(200, 201);
    JsonNode a = json(r);
    assertThat(a.get("source").asString()).isEqualTo("STATE_DICT");
    assertThat(a.get("entryCount").asInt()).isEqualTo(7);
    assertThat(a.get("numel").asLong()).isEqualTo(17);
    // 0.bias is frozen in the fixture; buffers are never trained.
    assertThat(a.get("trainableNumel").asLong()).isEqualTo(10);
    assertThat(a.get("hasInitialValues").asBoolean()).isTrue();

    List<JsonNode> e = entries(a.get("id").asString());
    assertThat(e)
        .extracting(n -> n.get("key").asString())
        .containsExactly(
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked");
    assertThat(e)
        .extracting(n -> n.get("kind").asString())
        .containsExactly(
            "PARAMETER", "PARAMETER", "PARAMETER", "PARAMETER", "BUFFER", "BUFFER", "BUFFER");
    assertThat(e)
        .extracting(n -> n.get("requiresGrad").asBoolean())
        .containsExactly(true, false, true, true, false, false, false);
    assertThat(e.get(6).get("shape")).isEmpty();
  }

  @Test
  void shouldReadATorchScriptArchiveWithoutRunningIt() throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/architectures?name=Seq", resource("format/torchscript/sequential.pt"));

    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    JsonNode a = json(r);
    assertThat(a.get("source").asString()).isEqualTo("TORCHSCRIPT");
    assertThat(a.get("hasInitialValues").asBoolean()).isTrue();
    JsonNode expected =
        JSON.readTree(
                java.nio.file.Files.readAllBytes(resource("format/torchscript/expected.json")))
            .get("sequential.pt");
    List<JsonNode> e = entries(a.get("id").asString());
    List<String> expectedKeys = new ArrayList<>();
    expected.get("tensors").forEach(t -> expectedKeys.add(t.get("key").asString()));
    assertThat(e).extracting(n -> n.get("key").asString()).containsExactlyElementsOf(expectedKeys);
    for (int i = 0; i < e.size(); i++) {
      JsonNode want = expected.get("tensors").get(i);
      assertThat(e.get(i).get("kind").asString()).isEqualTo(want.get("kind").asString());
      assertThat(e.get(i).get("requiresGrad").asBoolean())
          .isEqualTo(want.get("requiresGrad").asBoolean());
    }
  }

  @Test
  void shouldSayKindIsUnknownForAPlainStateDict() throws Exception {
    JsonNode a =
        json(
            postFile(
                "/api/v1/architectures?name=Linear", resource("fixtures/conformance/linear.pt")));
    assertThat(entries(a.get("id").asString()))
        .allSatisfy(
            n -> {
              assertThat(n.get("kind").asString()).isEqualTo("UNKNOWN");
              assertThat(n.get("requiresGrad").asBoolean()).isTrue();
            });
  }

  @Test
  void shouldStoreAJsonArchitectureOnceAndValidateItsInitSchemes() throws Exception {
    String name = "Head-" + UUID.randomUUID();
    String body =
        """
        {"name": "%s", "entries": [
          {"key": "fc.weight", "dtype": "float32", "shape": [10, 4], "kind": "PARAMETER", "init": {"scheme": "xavier_uniform", "gain": 1.0}},
          {"key": "fc.bias", "dtype": "float32", "shape": [10], "kind": "PARAMETER", "init": {"scheme": "zeros"}},
          {"key": "bn.num_batches_tracked", "dtype": "int64", "shape": [], "kind": "BUFFER"}
        ]}"""
            .formatted(name);

    HttpResponse<String> first = postJson(body);
    HttpResponse<String> again = postJson(body.replace("\n", " "));

    assertThat(first.statusCode()).isEqualTo(201);
    JsonNode a = json(first);
    assertThat(first.headers().firstValue("Location"))
        .hasValue("/api/v1/architectures/" + a.get("id").asString());
    assertThat(a.get("source").asString()).isEqualTo("JSON");
    assertThat(a.get("hasInitialValues").asBoolean()).isFalse();
    assertThat(a.get("numel").asLong()).isEqualTo(51);
    assertThat(a.get("trainableNumel").asLong()).isEqualTo(50);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json(again).get("id").asString()).isEqualTo(a.get("id").asString());

    List<JsonNode> e = entries(a.get("id").asString());
    assertThat(e.get(0).get("init").get("scheme").asString()).isEqualTo("xavier_uniform");
    assertThat(e.get(2).get("requiresGrad").asBoolean()).isFalse();
    assertThat(e.get(2).get("init").get("scheme").asString()).isEqualTo("zeros");
  }

  @Test
  void shouldRefuseInvalidJsonEntriesNamingTheField() throws Exception {
    record Case(String entry, String field, String says) {}
    List<Case> cases =
        List.of(
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float33\", \"shape\": [2]}",
                "entries[0].dtype",
                "float33"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [-1]}",
                "entries[0].shape",
                "0 or more"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2], \"kind\": \"WEIGHT\"}",
                "entries[0].kind",
                "PARAMETER or BUFFER"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2], \"init\": {\"scheme\": \"orthogonal\"}}",
                "entries[0].init.scheme",
                "orthogonal"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2], \"init\": {\"scheme\": \"kaiming_uniform\"}}",
                "entries[0].init.scheme",
                "2 dimensions"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2], \"init\": {\"scheme\": \"normal\", \"sdt\": 1}}",
                "entries[0].init.sdt",
                "not a parameter"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"int64\", \"shape\": [2], \"kind\": \"PARAMETER\"}",
                "entries[0].requiresGrad",
                "floating-point"),
            new Case("{\"dtype\": \"float32\", \"shape\": [2]}", "entries[0].key", "required"));
    for (Case c : cases) {
      HttpResponse<String> r = postJson("{\"name\": \"Bad\", \"entries\": [" + c.entry() + "]}");
      assertThat(r.statusCode()).as(c.entry()).isEqualTo(400);
      JsonNode p = json(r);
      assertThat(p.get("errors").get(0).get("field").asString()).as(c.entry()).isEqualTo(c.field());
      assertThat(p.get("detail").asString()).as(c.entry()).contains(c.says());
    }
    HttpResponse<String> dup =
        postJson(
            "{\"name\": \"Bad\", \"entries\": [{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [1]}, {\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [1]}]}");
    assertThat(json(dup).get("detail").asString()).contains("appears twice");
    HttpResponse<String> broken = postJson("{\"name\": ");
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(broken.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
  }

  @Test
  void shouldHoldJsonArchitecturesToTheLimitsOfFilesNamingTheField() throws Exception {
    record Case(String entry, String field, String says) {}
    List<Case> cases =
        List.of(
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2, 1.5]}",
                "entries[0].shape",
                "whole numbers"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [-0]}",
                "entries[0].shape",
                "-0"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2], \"init\":"
                    + " {\"scheme\": \"constant\", \"value\": 1e999}}",
                "entries[0].init.value",
                "finite"),
            new Case(
                "{\"key\": \"" + "k".repeat(1025) + "\", \"dtype\": \"float32\", \"shape\": [2]}",
                "entries[0].key",
                "at most 1024"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [4611686018427387904]}",
                "entries[0].shape",
                "elements"),
            new Case(
                "{\"key\": \"w\", \"dtype\": \"float32\", \"shape\": [2, 2, 2, 2, 2, 2, 2, 2,"
                    + " 2, 2, 2, 2, 2, 2, 2, 2, 2]}",
                "entries[0].shape",
                "at most 16"));
    for (Case c : cases) {
      HttpResponse<String> r = postJson("{\"name\": \"Bad\", \"entries\": [" + c.entry() + "]}");
      assertThat(r.statusCode()).as(c.entry()).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
      JsonNode p = json(r);
      assertThat(p.get("errors").get(0).get("field").asString()).as(c.entry()).isEqualTo(c.field());
      assertThat(p.get("detail").asString()).as(c.entry()).contains(c.says());
    }
    // NUL anywhere in a JSON body is refused while the body is read, before any field is bound.
    for (String nul :
        new String[] {
          "{\"name\": \"B\\u0000d\", \"entries\": [{\"key\": \"w\", \"dtype\":"
              + " \"float32\", \"shape\": [2]}]}",
          "{\"name\": \"Bad\", \"entries\": [{\"key\": \"fc\\u0000w\", \"dtype\":"
              + " \"float32\", \"shape\": [2]}]}"
        }) {
      HttpResponse<String> r = postJson(nul);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(json(r).get("detail").asString()).contains("NUL");
    }
  }

  @Test
  void shouldStillDescribeTheDocumentsEntriesAndShapesInTheOpenApiDocument() throws Exception {
    // The readers that refuse coerced sizes and too many entries must not hide the types.
    JsonNode schemas = json(get("/v3/api-docs")).get("components").get("schemas");
    JsonNode entries = schemas.get("ArchitectureDocument").get("properties").get("entries");
    assertThat(entries.get("type").asString()).isEqualTo("array");
    assertThat(entries.get("items").get("$ref").asString()).endsWith("/ArchitectureDocumentEntry");
    JsonNode shape = schemas.get("ArchitectureDocumentEntry").get("properties").get("shape");
    assertThat(shape.get("type").asString()).isEqualTo("array");
    assertThat(shape.get("items").get("type").asString()).isEqualTo("integer");
  }

  @Test
  void shouldListAndGetAndAnswer404ForUnknownIds() throws Exception {
    String id =
        json(postFile(
                "/api/v1/architectures?name=Emb", resource("fixtures/conformance/embedding.pt")))
            .get("id")
            .asString();
    assertThat(json(get("/api/v1/architectures/" + id)).get("name").asString()).isIn("Emb");
    assertThat(json(get("/api/v1/architectures?size=500")).get("items"))
        .anySatisfy(n -> assertThat(n.get("id").asString()).isEqualTo(id));
    assertThat(get("/api/v1/architectures/" + UUID.randomUUID()).statusCode()).isEqualTo(404);
    assertThat(get("/api/v1/architectures/" + UUID.randomUUID() + "/entries").statusCode())
        .isEqualTo(404);
  }
}
