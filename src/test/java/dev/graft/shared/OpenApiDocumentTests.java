package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAPI document generated from the code describes the whole contract, with examples, and is
 * the one committed as {@code openapi/graft.json}: a change to the contract shows up in review.
 *
 * <p>To regenerate the committed document after a deliberate change: {@code ./mvnw -o test
 * -Dtest=OpenApiDocumentTests -Dgraft.openapi.write=true} (or {@code scripts/openapi.sh}).
 */
class OpenApiDocumentTests extends IntegrationTest {

  /** The committed document, relative to the project's root (the tests' working directory). */
  static final Path COMMITTED = Path.of("openapi", "graft.json");

  @Test
  void shouldServeExactlyTheCommittedDocument() throws Exception {
    String served = get("/v3/api-docs").body();
    String canonical =
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(served)) + "\n";
    if (Boolean.getBoolean("graft.openapi.write")) {
      Files.createDirectories(COMMITTED.getParent());
      Files.writeString(COMMITTED, canonical, StandardCharsets.UTF_8);
    }
    assertThat(Files.exists(COMMITTED))
        .as(COMMITTED + " is missing; regenerate it with -Dgraft.openapi.write=true")
        .isTrue();
    assertThat(canonical)
        .as(
            "the served /v3/api-docs differs from the committed "
                + COMMITTED
                + ": review the change, then regenerate it with ./mvnw -o test"
                + " -Dtest=OpenApiDocumentTests -Dgraft.openapi.write=true")
        .isEqualTo(Files.readString(COMMITTED, StandardCharsets.UTF_8));
  }

  @Test
  void shouldNameTheMainFlowsOperationsAsTheContractFixesThem() throws Exception {
    JsonNode doc = json(get("/v3/api-docs"));
    Map<String, String> ops = new java.util.HashMap<>();
    doc.get("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          JsonNode operation = op.getValue();
                          assertThat(operation.has("operationId"))
                              .as(op.getKey() + " " + path.getKey())
                              .isTrue();
                          assertThat(operation.get("tags"))
                              .as("tags of " + path.getKey())
                              .isNotEmpty();
                          String id = operation.get("operationId").asString();
                          assertThat(id).matches("[a-z][A-Za-z0-9]*");
                          assertThat(ops.put(id, operation.get("tags").get(0).asString()))
                              .as("operationId " + id + " is unique")
                              .isNull();
                          boolean success = false;
                          for (var r : operation.get("responses").properties()) {
                            if (r.getKey().startsWith("2")) {
                              success = true;
                            }
                            if (r.getKey().startsWith("4") || r.getKey().startsWith("5")) {
                              assertThat(
                                      r.getValue()
                                          .get("content")
                                          .get("application/problem+json")
                                          .get("schema")
                                          .get("$ref")
                                          .asString())
                                  .as(r.getKey() + " of " + id)
                                  .endsWith("/Problem");
                            }
                          }
                          assertThat(success).as("a 2xx answer of " + id).isTrue();
                        }));
    assertThat(ops)
        .containsEntry("uploadCheckpoint", "Checkpoints")
        .containsEntry("uploadArchitecture", "Architectures")
        .containsEntry("createArchitecture", "Architectures")
        .containsEntry("createPreview", "Previews")
        .containsEntry("startWarmStart", "Warm-starts")
        .containsEntry("getWarmStart", "Warm-starts")
        .containsEntry("getWarmStartReport", "Warm-starts")
        .containsEntry("getModelVersion", "Models")
        .containsEntry("downloadArtifact", "Models");
  }

  @Test
  void shouldDescribeDownloadsAsBinaryAndKeyRulesWithAMapping() throws Exception {
    JsonNode doc = json(get("/v3/api-docs"));
    JsonNode download =
        doc.get("paths")
            .get("/api/v1/models/{name}/versions/{version}/artifacts/{format}")
            .get("get");
    JsonNode ok = download.get("responses").get("200");
    assertThat(
            ok.get("content")
                .get("application/octet-stream")
                .get("schema")
                .get("format")
                .asString())
        .isEqualTo("binary");
    assertThat(ok.get("headers").has("ETag")).isTrue();
    assertThat(download.get("responses").get("206").get("headers").has("Content-Range")).isTrue();
    JsonNode keyRule = doc.get("components").get("schemas").get("KeyRule");
    assertThat(keyRule.get("discriminator").get("propertyName").asString()).isEqualTo("type");
    assertThat(new TreeSet<>(keyRule.get("discriminator").get("mapping").propertyNames()))
        .containsExactly("addPrefix", "regex", "stripPrefix");
    assertThat(doc.get("info").get("title").asString()).isEqualTo("Graft");
    assertThat(doc.get("info").get("version").asString()).isNotEqualTo("v0");
    assertThat(doc.get("info").has("license")).isTrue();
  }

  @Test
  void shouldDescribeEveryPathAndMethodOfTheContract() throws Exception {
    JsonNode doc = json(get("/v3/api-docs"));
    Map<String, List<String>> contract =
        Map.ofEntries(
            Map.entry("/api/v1/checkpoints", List.of("get", "post")),
            Map.entry("/api/v1/checkpoints/{id}", List.of("get", "delete")),
            Map.entry("/api/v1/checkpoints/{id}/tensors", List.of("get")),
            Map.entry("/api/v1/checkpoints/{id}/content", List.of("get")),
            Map.entry("/api/v1/architectures", List.of("get", "post")),
            Map.entry("/api/v1/architectures/{id}", List.of("get", "delete")),
            Map.entry("/api/v1/architectures/{id}/entries", List.of("get")),
            Map.entry("/api/v1/previews", List.of("post")),
            Map.entry("/api/v1/warm-starts", List.of("get", "post")),
            Map.entry("/api/v1/warm-starts/{id}", List.of("get")),
            Map.entry("/api/v1/warm-starts/{id}/report", List.of("get")),
            Map.entry("/api/v1/warm-starts/{id}/cancel", List.of("post")),
            Map.entry("/api/v1/models", List.of("get")),
            Map.entry("/api/v1/models/{name}", List.of("get", "patch", "delete")),
            Map.entry("/api/v1/models/{name}/versions", List.of("get")),
            Map.entry(
                "/api/v1/models/{name}/versions/{version}", List.of("get", "patch", "delete")),
            Map.entry(
                "/api/v1/models/{name}/versions/{version}/artifacts/{format}", List.of("get")),
            Map.entry("/api/v1/models/{name}/aliases/{alias}", List.of("get", "put", "delete")),
            Map.entry("/api/v1/models/{name}/aliases/{alias}/artifacts/{format}", List.of("get")),
            Map.entry("/api/v1/architectures/documents", List.of("post")));
    for (Map.Entry<String, List<String>> p : contract.entrySet()) {
      JsonNode path = doc.get("paths").get(p.getKey());
      assertThat(path).as(p.getKey()).isNotNull();
      for (String method : p.getValue()) {
        assertThat(path.has(method)).as(method + " " + p.getKey()).isTrue();
      }
    }
    JsonNode schemas = doc.get("components").get("schemas");
    for (String schema :
        List.of("Checkpoint", "Architecture", "PreviewRequest", "WarmStartRequest")) {
      assertThat(schemas.get(schema).has("example")).as("example of " + schema).isTrue();
    }
  }

  @Test
  void shouldDescribeClosedSetsAsEnumsAndLineageAndSummaryAsTypes() throws Exception {
    JsonNode schemas = json(get("/v3/api-docs")).get("components").get("schemas");
    assertThat(enumOf(schemas.get("Run").get("properties").get("status")))
        .containsExactly("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED");
    assertThat(enumOf(schemas.get("Artifact").get("properties").get("format")))
        .containsExactly("safetensors", "pytorch", "torchscript");
    assertThat(enumOf(schemas.get("WarmStartOutput").get("properties").get("formats").get("items")))
        .containsExactly("safetensors", "pytorch", "torchscript");
    assertThat(enumOf(schemas.get("Architecture").get("properties").get("source")))
        .containsExactly("STATE_DICT", "TORCHSCRIPT", "SAFETENSORS", "JSON");
    assertThat(enumOf(schemas.get("ArchitectureEntry").get("properties").get("kind")))
        .containsExactly("PARAMETER", "BUFFER", "UNKNOWN");
    assertThat(enumOf(schemas.get("Checkpoint").get("properties").get("format")))
        .containsExactly("pytorch", "safetensors");
    assertThat(schemas.get("Lineage").get("properties").get("options").get("$ref").asString())
        .endsWith("/LoadOptions");
    assertThat(schemas.get("ModelVersion").get("properties").get("summary").get("$ref").asString())
        .endsWith("/ReportSummary");
  }

  private static List<String> enumOf(JsonNode schema) {
    assertThat(schema.has("enum")).as(schema.toString()).isTrue();
    List<String> values = new ArrayList<>();
    schema.get("enum").forEach(v -> values.add(v.asString()));
    return values;
  }
}
