package dev.graft.registry;

import static dev.graft.registry.TestVersions.uniqueModel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/** Every registry endpoint over HTTP, with its errors, against the real database and blob store. */
class RegistryApiTests extends IntegrationTest {

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;

  private TestVersions versions;

  @BeforeEach
  void versions() {
    versions = new TestVersions(registry, blobs, gc, tx);
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> putAlias(String model, String alias, String body) throws Exception {
    return send("PUT", "/api/v1/models/" + model + "/aliases/" + alias, body);
  }

  private HttpResponse<String> patch(String model, int version, String body) throws Exception {
    return send("PATCH", "/api/v1/models/" + model + "/versions/" + version, body);
  }

  private static void assertProblem(HttpResponse<String> r, int status, String field) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    JsonNode p = json(r);
    assertThat(p.get("detail").asString()).isNotBlank();
    if (field != null) {
      assertThat(p.get("errors").get(0).get("field").asString()).isEqualTo(field);
    }
  }

  @Test
  void shouldListAModelWithItsLatestVersionCountAndAliases() throws Exception {
    String model = uniqueModel("listed");
    versions.register(model, Map.of(), List.of("stable"));
    versions.register(model, Map.of(), List.of("latest"));

    JsonNode page = json(get("/api/v1/models?q=" + model));
    assertThat(page.get("total").asLong()).isEqualTo(1);
    JsonNode m = page.get("items").get(0);
    assertThat(m.get("name").asString()).isEqualTo(model);
    assertThat(m.get("latestVersion").asInt()).isEqualTo(2);
    assertThat(m.get("versionCount").asLong()).isEqualTo(2);
    assertThat(m.get("aliases").get("stable").asInt()).isEqualTo(1);
    assertThat(m.get("aliases").get("latest").asInt()).isEqualTo(2);
    assertThat(m.get("createdAt").asString()).endsWith("Z");

    JsonNode one = json(get("/api/v1/models/" + model));
    assertThat(one).isEqualTo(m);
  }

  @Test
  void shouldFilterModelsByNameIgnoringCaseAndByTheirVersionsTags() throws Exception {
    String stem = uniqueModel("filter");
    String a = stem + "-alpha";
    String b = stem + "-beta";
    versions.register(a, Map.of("stage", "prod"), List.of());
    versions.register(b, Map.of("stage", "dev", "team", "vision"), List.of());

    assertThat(names(get("/api/v1/models?q=" + stem.toUpperCase()))).containsExactly(a, b);
    assertThat(names(get("/api/v1/models?q=" + stem + "&tag=stage:prod"))).containsExactly(a);
    assertThat(names(get("/api/v1/models?q=" + stem + "&tag=stage:dev&tag=team:vision")))
        .containsExactly(b);
    assertThat(names(get("/api/v1/models?q=" + stem + "&tag=stage:prod&tag=team:vision")))
        .isEmpty();
    // LIKE wildcards in q are literal characters.
    assertThat(json(get("/api/v1/models?q=" + stem + "%25")).get("total").asLong()).isZero();
  }

  @Test
  void shouldPageModelsByName() throws Exception {
    String stem = uniqueModel("paged");
    for (int i = 0; i < 3; i++) {
      versions.register(stem + "-" + i, Map.of(), List.of());
    }
    JsonNode second = json(get("/api/v1/models?q=" + stem + "&page=1&size=2"));
    assertThat(second.get("total").asLong()).isEqualTo(3);
    assertThat(second.get("page").asInt()).isEqualTo(1);
    assertThat(second.get("size").asInt()).isEqualTo(2);
    assertThat(names(second)).containsExactly(stem + "-2");

    assertProblem(get("/api/v1/models?size=0"), 400, "size");
    assertProblem(get("/api/v1/models?page=-1"), 400, "page");
  }

  @Test
  void shouldRefuseATagFilterThatIsNotKeyColonValue() throws Exception {
    assertProblem(get("/api/v1/models?tag=stage"), 400, "tag");
    assertProblem(get("/api/v1/models?tag=:prod"), 400, "tag");
    String model = uniqueModel("tagless");
    versions.register(model, Map.of(), List.of());
    assertProblem(get("/api/v1/models/" + model + "/versions?tag=nocolon"), 400, "tag");
  }

  @Test
  void shouldListVersionsNewestFirstPagedAndFilteredByTag() throws Exception {
    String model = uniqueModel("versions");
    versions.register(model, Map.of("stage", "dev"), List.of());
    versions.register(model, Map.of("stage", "prod", "url", "http://x:1"), List.of());
    versions.register(model, Map.of("stage", "dev"), List.of());

    JsonNode all = json(get("/api/v1/models/" + model + "/versions"));
    assertThat(all.get("total").asLong()).isEqualTo(3);
    assertThat(versionNumbers(all)).containsExactly(3, 2, 1);

    JsonNode page = json(get("/api/v1/models/" + model + "/versions?page=1&size=2"));
    assertThat(versionNumbers(page)).containsExactly(1);
    assertThat(page.get("total").asLong()).isEqualTo(3);

    assertThat(versionNumbers(json(get("/api/v1/models/" + model + "/versions?tag=stage:dev"))))
        .containsExactly(3, 1);
    // Split at the first colon only: values may hold colons.
    assertThat(
            versionNumbers(json(get("/api/v1/models/" + model + "/versions?tag=url:http://x:1"))))
        .containsExactly(2);
    JsonNode none = json(get("/api/v1/models/" + model + "/versions?tag=stage:gone"));
    assertThat(none.get("total").asLong()).isZero();
  }

  @Test
  void shouldAnswer404ForAnUnknownModelVersionArtifactOrAlias() throws Exception {
    String unknown = uniqueModel("nobody");
    assertProblem(get("/api/v1/models/" + unknown), 404, null);
    assertProblem(get("/api/v1/models/" + unknown + "/versions"), 404, null);
    assertProblem(get("/api/v1/models/" + unknown + "/versions/1"), 404, null);
    assertProblem(get("/api/v1/models/" + unknown + "/aliases/latest"), 404, null);
    assertProblem(delete("/api/v1/models/" + unknown + "/versions/1"), 404, null);
    assertProblem(delete("/api/v1/models/" + unknown + "/aliases/latest"), 404, null);
    assertProblem(putAlias(unknown, "latest", "{\"version\": 1}"), 404, null);
    assertProblem(patch(unknown, 1, "{\"description\": \"x\"}"), 404, null);

    String model = uniqueModel("known");
    versions.register(model, Map.of(), List.of());
    HttpResponse<String> noVersion = get("/api/v1/models/" + model + "/versions/7");
    assertProblem(noVersion, 404, null);
    assertThat(json(noVersion).get("detail").asString()).contains("has no version 7");
    assertProblem(get("/api/v1/models/" + model + "/versions/1/artifacts/torchscript"), 404, null);
    assertProblem(get("/api/v1/models/" + model + "/aliases/nope"), 404, null);
    assertProblem(delete("/api/v1/models/" + model + "/aliases/nope"), 404, null);
    assertProblem(patch(model, 7, "{\"description\": \"x\"}"), 404, null);
    assertProblem(get("/api/v1/models/" + model + "/versions/one"), 400, null);
  }

  @Test
  void shouldDownloadAnArtifactWithItsShaAsETagAndHonourRange() throws Exception {
    String model = uniqueModel("download");
    byte[] bytes = TestVersions.uniqueBytes(1000);
    ModelVersion v =
        versions.register(model, Map.of(), List.of(), bytes, UUID.randomUUID(), UUID.randomUUID());
    String path = "/api/v1/models/" + model + "/versions/1/artifacts/safetensors";

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
    assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 10, 20));
    assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 10-19/1000");

    HttpResponse<byte[]> beyond =
        http.send(
            HttpRequest.newBuilder(uri(path)).header("Range", "bytes=5000-").build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(beyond.statusCode()).isEqualTo(416);
  }

  @Test
  void shouldPointAnAliasAtAVersionAndMoveItAtomically() throws Exception {
    String model = uniqueModel("aliased");
    versions.register(model, Map.of(), List.of());
    versions.register(model, Map.of(), List.of());

    HttpResponse<String> put = putAlias(model, "champion", "{\"version\": 1}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    assertThat(json(put).get("version").asInt()).isEqualTo(1);
    assertThat(json(put).get("aliases").toString()).contains("champion");
    assertThat(json(get("/api/v1/models/" + model + "/aliases/champion")).get("version").asInt())
        .isEqualTo(1);

    HttpResponse<String> moved = putAlias(model, "champion", "{\"version\": 2}");
    assertThat(moved.statusCode()).isEqualTo(200);
    assertThat(json(get("/api/v1/models/" + model + "/aliases/champion")).get("version").asInt())
        .isEqualTo(2);
    assertThat(json(get("/api/v1/models/" + model + "/versions/1")).get("aliases")).isEmpty();
    assertThat(json(get("/api/v1/models/" + model)).get("aliases").get("champion").asInt())
        .isEqualTo(2);

    // Putting it where it already is answers the same.
    assertThat(putAlias(model, "champion", "{\"version\": 2}").statusCode()).isEqualTo(200);
  }

  @Test
  void shouldRefuseAnInvalidAliasNameOrAMissingVersion() throws Exception {
    String model = uniqueModel("badalias");
    versions.register(model, Map.of(), List.of());
    assertProblem(putAlias(model, "-leading-dash", "{\"version\": 1}"), 400, "alias");
    assertProblem(putAlias(model, "has%20space", "{\"version\": 1}"), 400, "alias");
    assertProblem(putAlias(model, "x".repeat(256), "{\"version\": 1}"), 400, "alias");
    assertProblem(putAlias(model, "ok", "{}"), 400, "version");
    assertProblem(putAlias(model, "ok", "{\"version\": \"one\"}"), 400, null);
    assertProblem(putAlias(model, "ok", ""), 400, null);
  }

  @Test
  void shouldRefuseAnAliasToAVersionTheModelDoesNotHaveAsAnUnknownReference() throws Exception {
    String model = uniqueModel("unknownref");
    versions.register(model, Map.of(), List.of());
    HttpResponse<String> r = putAlias(model, "latest", "{\"version\": 9}");
    assertProblem(r, 422, "version");
    assertThat(json(r).get("detail").asString()).contains("has no version 9");
    assertProblem(get("/api/v1/models/" + model + "/aliases/latest"), 404, null);
  }

  @Test
  void shouldDeleteAnAliasButKeepItsVersion() throws Exception {
    String model = uniqueModel("unaliased");
    versions.register(model, Map.of(), List.of("latest"));
    assertThat(delete("/api/v1/models/" + model + "/aliases/latest").statusCode()).isEqualTo(204);
    assertProblem(get("/api/v1/models/" + model + "/aliases/latest"), 404, null);
    assertThat(json(get("/api/v1/models/" + model + "/versions/1")).get("aliases")).isEmpty();
    assertProblem(delete("/api/v1/models/" + model + "/aliases/latest"), 404, null);
  }

  @Test
  void shouldSetTheDescriptionAndReplaceTagsLeavingAbsentFieldsUnchanged() throws Exception {
    String model = uniqueModel("patched");
    versions.register(model, Map.of("stage", "dev", "owner", "ana"), List.of());

    HttpResponse<String> tagsOnly = patch(model, 1, "{\"tags\": {\"stage\": \"prod\"}}");
    assertThat(tagsOnly.statusCode()).as(tagsOnly.body()).isEqualTo(200);
    assertThat(json(tagsOnly).get("tags").toString()).isEqualTo("{\"stage\":\"prod\"}");
    assertThat(json(tagsOnly).get("description").asString()).isEqualTo("made by a test");

    HttpResponse<String> descriptionOnly = patch(model, 1, "{\"description\": \"promoted\"}");
    assertThat(json(descriptionOnly).get("description").asString()).isEqualTo("promoted");
    assertThat(json(descriptionOnly).get("tags").get("stage").asString()).isEqualTo("prod");

    HttpResponse<String> cleared = patch(model, 1, "{\"description\": null, \"tags\": {}}");
    assertThat(json(cleared).get("description").isNull()).isTrue();
    assertThat(json(cleared).get("tags")).isEmpty();

    JsonNode stored = json(get("/api/v1/models/" + model + "/versions/1"));
    assertThat(stored.get("tags")).isEmpty();
    assertThat(stored.get("artifacts")).hasSize(1);
    // The new tags are what the tag filter sees.
    patch(model, 1, "{\"tags\": {\"stage\": \"canary\"}}");
    assertThat(versionNumbers(json(get("/api/v1/models/" + model + "/versions?tag=stage:canary"))))
        .containsExactly(1);
  }

  @Test
  void shouldRefuseAPatchThatIsNotDescriptionAndStringTags() throws Exception {
    String model = uniqueModel("badpatch");
    versions.register(model, Map.of(), List.of());
    assertProblem(patch(model, 1, "{\"version\": 5}"), 400, "version");
    assertProblem(patch(model, 1, "{\"artifacts\": []}"), 400, "artifacts");
    assertProblem(patch(model, 1, "[]"), 400, "body");
    assertProblem(patch(model, 1, "{\"description\": 3}"), 400, "description");
    assertProblem(patch(model, 1, "{\"tags\": null}"), 400, "tags");
    assertProblem(patch(model, 1, "{\"tags\": {\"n\": 1}}"), 400, "tags.n");
    assertProblem(patch(model, 1, "{\"tags\": {\"\": \"empty key\"}}"), 400, "tags");
    assertProblem(patch(model, 1, "{not json"), 400, null);
  }

  @Test
  void shouldRefuseDeletingAVersionAnAliasPointsTo() throws Exception {
    String model = uniqueModel("protected");
    versions.register(model, Map.of(), List.of("prod", "latest"));

    HttpResponse<String> refused = delete("/api/v1/models/" + model + "/versions/1");
    assertProblem(refused, 409, null);
    assertThat(json(refused).get("detail").asString()).contains("'latest', 'prod'");
    assertThat(get("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(200);
  }

  @Test
  void shouldDeleteAVersionItsArtifactFileAndNeverReuseItsNumber() throws Exception {
    String model = uniqueModel("deleted");
    versions.register(model, Map.of(), List.of());
    ModelVersion second = versions.register(model, Map.of(), List.of());
    String sha = second.artifacts().get(0).sha256();
    assertThat(blobs.exists(sha)).isTrue();

    assertThat(delete("/api/v1/models/" + model + "/versions/2").statusCode()).isEqualTo(204);

    assertProblem(get("/api/v1/models/" + model + "/versions/2"), 404, null);
    assertProblem(get("/api/v1/models/" + model + "/versions/2/artifacts/safetensors"), 404, null);
    assertThat(blobs.exists(sha)).isFalse();
    JsonNode m = json(get("/api/v1/models/" + model));
    assertThat(m.get("versionCount").asLong()).isEqualTo(1);
    assertThat(m.get("latestVersion").asInt()).isEqualTo(1);
    assertThat(versions.register(model, Map.of(), List.of()).version()).isEqualTo(3);
    assertProblem(delete("/api/v1/models/" + model + "/versions/2"), 404, null);
  }

  @Test
  void shouldKeepAnArtifactFileAnotherVersionStillNames() throws Exception {
    String a = uniqueModel("shared-a");
    String b = uniqueModel("shared-b");
    byte[] bytes = TestVersions.uniqueBytes(512);
    ModelVersion first =
        versions.register(a, Map.of(), List.of(), bytes, UUID.randomUUID(), UUID.randomUUID());
    versions.register(b, Map.of(), List.of(), bytes, UUID.randomUUID(), UUID.randomUUID());
    String sha = first.artifacts().get(0).sha256();

    assertThat(delete("/api/v1/models/" + a + "/versions/1").statusCode()).isEqualTo(204);
    assertThat(blobs.exists(sha)).isTrue();
    HttpResponse<byte[]> still =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/models/" + b + "/versions/1/artifacts/safetensors"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(still.body()).isEqualTo(bytes);

    assertThat(delete("/api/v1/models/" + b + "/versions/1").statusCode()).isEqualTo(204);
    assertThat(blobs.exists(sha)).isFalse();
  }

  @Test
  void shouldListAModelWhoseVersionsWereAllDeletedWithNoLatestVersion() throws Exception {
    String model = uniqueModel("emptied");
    versions.register(model, Map.of(), List.of());
    assertThat(delete("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(204);
    JsonNode m = json(get("/api/v1/models/" + model));
    assertThat(m.get("versionCount").asLong()).isZero();
    assertThat(m.get("latestVersion").isNull()).isTrue();
    assertThat(json(get("/api/v1/models/" + model + "/versions")).get("total").asLong()).isZero();
  }

  @Test
  void shouldRefuseDeletingACheckpointOrArchitectureAVersionDescendsFrom() throws Exception {
    String ckpt =
        json(postBytes("/api/v1/checkpoints?name=lineage", Safetensors.unique()))
            .get("id")
            .asString();
    String arch =
        json(postJson("/api/v1/architectures", Safetensors.uniqueArchitectureJson()))
            .get("id")
            .asString();
    String model = uniqueModel("lineage");
    versions.register(
        model,
        Map.of(),
        List.of(),
        TestVersions.uniqueBytes(64),
        UUID.fromString(ckpt),
        UUID.fromString(arch));

    HttpResponse<String> c = delete("/api/v1/checkpoints/" + ckpt);
    assertProblem(c, 409, null);
    assertThat(json(c).get("detail").asString()).contains(model + " version 1");
    HttpResponse<String> a = delete("/api/v1/architectures/" + arch);
    assertProblem(a, 409, null);
    assertThat(json(a).get("detail").asString()).contains(model + " version 1");

    assertThat(delete("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(204);
    assertThat(delete("/api/v1/checkpoints/" + ckpt).statusCode()).isEqualTo(204);
    assertThat(delete("/api/v1/architectures/" + arch).statusCode()).isEqualTo(204);
  }

  @Test
  void shouldServeARunsVersionThroughItsAliasUntilTheAliasIsMovedOffAndTheVersionDeleted()
      throws Exception {
    String oracle = "fixtures/oracle/";
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=e2e", resource(oracle + "identical_strict.ckpt.pt")))
            .get("id")
            .asString();
    String arch =
        json(postFile(
                "/api/v1/architectures?name=e2e", resource(oracle + "identical_strict.target.pt")))
            .get("id")
            .asString();
    String model = uniqueModel("e2e");
    HttpResponse<String> submitted =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\": \""
                + ckpt
                + "\", \"architectureId\": \""
                + arch
                + "\", \"output\": {\"model\": \""
                + model
                + "\", \"formats\": [\"safetensors\"], \"tags\": {\"stage\": \"dev\"}, \"aliases\": [\"latest\"]}}");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(submitted).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");

    JsonNode latest = json(get("/api/v1/models/" + model + "/aliases/latest"));
    assertThat(latest.get("version").asInt()).isEqualTo(1);
    assertThat(latest.get("runId").asString()).isEqualTo(run.get("id").asString());
    assertThat(latest.get("lineage").get("checkpointId").asString()).isEqualTo(ckpt);
    assertThat(names(get("/api/v1/models?tag=stage:dev&q=" + model))).containsExactly(model);
    String sha = latest.get("artifacts").get(0).get("sha256").asString();

    assertProblem(delete("/api/v1/models/" + model + "/versions/1"), 409, null);
    assertThat(delete("/api/v1/models/" + model + "/aliases/latest").statusCode()).isEqualTo(204);
    assertThat(delete("/api/v1/models/" + model + "/versions/1").statusCode()).isEqualTo(204);
    // The safetensors artifact names its run in its metadata: no other row can hold these bytes.
    assertThat(blobs.exists(sha)).isFalse();
  }

  @Test
  void shouldDescribeEveryRegistryEndpointInTheOpenApiDocument() throws Exception {
    JsonNode paths = json(get("/v3/api-docs")).get("paths");
    assertThat(paths.get("/api/v1/models").has("get")).isTrue();
    assertThat(paths.get("/api/v1/models/{name}").has("get")).isTrue();
    assertThat(paths.get("/api/v1/models/{name}/versions").has("get")).isTrue();
    JsonNode version = paths.get("/api/v1/models/{name}/versions/{version}");
    assertThat(List.of(version.has("get"), version.has("patch"), version.has("delete")))
        .containsOnly(true);
    assertThat(paths.get("/api/v1/models/{name}/versions/{version}/artifacts/{format}").has("get"))
        .isTrue();
    JsonNode alias = paths.get("/api/v1/models/{name}/aliases/{alias}");
    assertThat(List.of(alias.has("get"), alias.has("put"), alias.has("delete"))).containsOnly(true);
    assertThat(paths.get("/api/v1/architectures/{id}").has("delete")).isTrue();
  }

  private static List<String> names(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return names(json(r));
  }

  private static List<String> names(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.get("items").forEach(m -> out.add(m.get("name").asString()));
    return out;
  }

  private static List<Integer> versionNumbers(JsonNode page) {
    List<Integer> out = new ArrayList<>();
    page.get("items").forEach(v -> out.add(v.get("version").asInt()));
    return out;
  }
}
