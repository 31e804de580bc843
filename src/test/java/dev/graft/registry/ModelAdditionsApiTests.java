package dev.graft.registry;

import static dev.graft.registry.TestVersions.uniqueModel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * API.md "Models (additions)": a model's description and tags, model delete, download through an
 * alias, ETag and If-Match on the editable resources, and 400 for an unknown query parameter.
 */
class ModelAdditionsApiTests extends IntegrationTest {

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;

  private TestVersions versions;

  @BeforeEach
  void versions() {
    versions = new TestVersions(registry, blobs, gc, tx);
  }

  private HttpResponse<String> patch(String path, String body, String ifMatch) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(body));
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertProblem(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(json(r).get("detail").asString()).isNotBlank();
  }

  @Test
  void shouldSetAModelsDescriptionAndTagsApartFromItsVersions() throws Exception {
    String model = uniqueModel("described");
    versions.register(model, Map.of("stage", "dev"), List.of());

    HttpResponse<String> fresh = get("/api/v1/models/" + model);
    assertThat(json(fresh).get("description").isNull()).isTrue();
    assertThat(json(fresh).get("tags")).isEmpty();

    HttpResponse<String> r =
        patch(
            "/api/v1/models/" + model,
            "{\"description\": \"ResNet-34 family\", \"tags\": {\"team\": \"vision\"}}",
            null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("description").asString()).isEqualTo("ResNet-34 family");
    assertThat(json(r).get("tags").toString()).isEqualTo("{\"team\":\"vision\"}");

    JsonNode stored = json(get("/api/v1/models/" + model));
    assertThat(stored.get("description").asString()).isEqualTo("ResNet-34 family");
    assertThat(stored.get("versionCount").asInt()).isEqualTo(1);
    // The version's own tags are untouched.
    assertThat(json(get("/api/v1/models/" + model + "/versions/1")).get("tags").toString())
        .isEqualTo("{\"stage\":\"dev\"}");

    assertProblem(patch("/api/v1/models/" + model, "{\"name\": \"other\"}", null), 400);
    assertProblem(patch("/api/v1/models/no-such-model-" + UUID.randomUUID(), "{}", null), 404);
  }

  @Test
  void shouldRefuseAStaleIfMatchWith412AndApplyACurrentOne() throws Exception {
    String model = uniqueModel("etag");
    versions.register(model, Map.of(), List.of());
    for (String path :
        List.of("/api/v1/models/" + model, "/api/v1/models/" + model + "/versions/1")) {
      HttpResponse<String> read = get(path);
      String etag = read.headers().firstValue("ETag").orElseThrow();
      assertThat(etag).matches("\"[0-9a-f]{32}\"");

      // Someone else edits it: the tag the client holds is stale now.
      HttpResponse<String> other = patch(path, "{\"description\": \"theirs\"}", etag);
      assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
      String newTag = other.headers().firstValue("ETag").orElseThrow();
      assertThat(newTag).isNotEqualTo(etag);

      HttpResponse<String> stale = patch(path, "{\"description\": \"mine\"}", etag);
      assertProblem(stale, 412);
      assertThat(json(get(path)).get("description").asString()).isEqualTo("theirs");

      HttpResponse<String> current = patch(path, "{\"description\": \"mine\"}", newTag);
      assertThat(current.statusCode()).as(current.body()).isEqualTo(200);
      assertThat(patch(path, "{\"tags\": {\"k\": \"v\"}}", "*").statusCode()).isEqualTo(200);
      // A weak tag never matches If-Match (RFC 9110 compares strongly).
      String latest = get(path).headers().firstValue("ETag").orElseThrow();
      assertProblem(patch(path, "{\"description\": \"x\"}", "W/" + latest), 412);

      HttpResponse<String> notModified =
          http.send(
              HttpRequest.newBuilder(uri(path)).header("If-None-Match", latest).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(notModified.statusCode()).isEqualTo(304);
    }
  }

  @Test
  void shouldDeleteAModelOnlyWhenNoVersionIsLeft() throws Exception {
    String model = uniqueModel("deleted");
    versions.register(model, Map.of(), List.of());
    versions.register(model, Map.of(), List.of());

    HttpResponse<String> refused = delete("/api/v1/models/" + model);
    assertProblem(refused, 409);
    assertThat(json(refused).get("detail").asString()).contains("2 versions");

    assertThat(delete("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(204);
    assertThat(delete("/api/v1/models/" + model + "/versions/2").statusCode()).isEqualTo(204);
    assertThat(delete("/api/v1/models/" + model).statusCode()).isEqualTo(204);
    assertProblem(get("/api/v1/models/" + model), 404);
    assertProblem(delete("/api/v1/models/" + model), 404);

    // The name starts afresh: its numbers begin at 1 again.
    assertThat(versions.register(model, Map.of(), List.of()).version()).isEqualTo(1);
  }

  @Test
  void shouldRecordModelEditsAndDeletesInTheAuditLog() throws Exception {
    String model = uniqueModel("audited");
    versions.register(model, Map.of(), List.of());
    patch("/api/v1/models/" + model, "{\"tags\": {\"team\": \"nlp\"}}", null);
    delete("/api/v1/models/" + model + "/versions/1");
    assertThat(delete("/api/v1/models/" + model).statusCode()).isEqualTo(204);

    JsonNode audit = json(get("/api/v1/audit?size=1000&action=model.update"));
    assertThat(audit.get("items").valueStream().map(e -> e.get("resourceId").asString()))
        .contains(model);
    JsonNode deletes = json(get("/api/v1/audit?size=1000&action=model.delete"));
    assertThat(deletes.get("items").valueStream().map(e -> e.get("resourceId").asString()))
        .contains(model);
  }

  @Test
  void shouldDownloadThroughAnAliasWithTheVersionDownloadsHeaders() throws Exception {
    String model = uniqueModel("aliased");
    byte[] bytes = TestVersions.uniqueBytes(1000);
    ModelVersion v =
        versions.register(
            model, Map.of(), List.of("prod"), bytes, UUID.randomUUID(), UUID.randomUUID());
    String path = "/api/v1/models/" + model + "/aliases/prod/artifacts/safetensors";

    HttpResponse<byte[]> whole =
        http.send(
            HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.body()).isEqualTo(bytes);
    assertThat(whole.headers().firstValue("ETag"))
        .hasValue("\"" + v.artifacts().get(0).sha256() + "\"");
    assertThat(whole.headers().firstValue("Content-Length")).hasValue("1000");

    HttpResponse<byte[]> part =
        http.send(
            HttpRequest.newBuilder(uri(path)).header("Range", "bytes=10-19").build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(bytes, 10, 20));
    assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 10-19/1000");

    assertProblem(get("/api/v1/models/" + model + "/aliases/nope/artifacts/safetensors"), 404);
    assertProblem(get("/api/v1/models/" + model + "/aliases/prod/artifacts/pytorch"), 404);
  }

  @Test
  void shouldRefuseAnUnknownQueryParameterNamingIt() throws Exception {
    HttpResponse<String> typo = get("/api/v1/warm-starts?stauts=RUNNING");
    assertProblem(typo, 400);
    assertThat(json(typo).get("errors").get(0).get("field").asString()).isEqualTo("stauts");
    assertThat(json(typo).get("detail").asString()).contains("status");

    assertProblem(get("/api/v1/models?nmae=x"), 400);
    assertProblem(get("/api/v1/checkpoints?page=0&sizee=3"), 400);
    // Known parameters still work.
    assertThat(get("/api/v1/warm-starts?status=RUNNING&page=0&size=5").statusCode()).isEqualTo(200);
    assertThat(get("/api/v1/models?q=x&tag=stage:prod&tag=a:b").statusCode()).isEqualTo(200);
  }
}
