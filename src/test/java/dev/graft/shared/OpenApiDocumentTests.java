package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The OpenAPI document generated from the code describes the whole contract, with examples. */
class OpenApiDocumentTests extends IntegrationTest {

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
            Map.entry("/api/v1/models/{name}", List.of("get")),
            Map.entry("/api/v1/models/{name}/versions", List.of("get")),
            Map.entry(
                "/api/v1/models/{name}/versions/{version}", List.of("get", "patch", "delete")),
            Map.entry(
                "/api/v1/models/{name}/versions/{version}/artifacts/{format}", List.of("get")),
            Map.entry("/api/v1/models/{name}/aliases/{alias}", List.of("get", "put", "delete")));
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
    assertThat(enumOf(schemas.get("Output").get("properties").get("formats").get("items")))
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
        .endsWith("/Summary");
  }

  private static List<String> enumOf(JsonNode schema) {
    assertThat(schema.has("enum")).as(schema.toString()).isTrue();
    List<String> values = new java.util.ArrayList<>();
    schema.get("enum").forEach(v -> values.add(v.asString()));
    return values;
  }
}
