package dev.graft.shared;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.WorkerlessTest;
import dev.graft.registry.Safetensors;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * The JSON Graft keeps in its tables is written exactly as before, and rows written before read
 * back: request hashes of idempotent runs, the canonical bytes (and so the SHA-256) of JSON
 * architectures, and what the registry answers all depend on that text. The expected strings are
 * what the code wrote before every feature shared one configured {@code JsonMapper}.
 */
class StoredJsonTests extends WorkerlessTest {

  @Autowired JdbcClient jdbc;

  private String upload(String path, byte[] body) throws Exception {
    HttpResponse<String> r = postBytes(path, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("id").asString();
  }

  private String architecture(String document) throws Exception {
    HttpResponse<String> r = postJson("/api/v1/architectures", document);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("id").asString();
  }

  @Test
  void shouldStoreARunsOptionsOutputAndRequestHashAsBefore() throws Exception {
    String ckpt = upload("/api/v1/checkpoints?name=stored-json", Safetensors.unique());
    String arch = architecture(Safetensors.uniqueArchitectureJson());
    String body =
        "{\"checkpointId\":\"%s\",\"architectureId\":\"%s\",\"options\":{\"strict\":false,"
                .formatted(ckpt, arch)
            + "\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"module.\"},"
            + "{\"type\":\"addPrefix\",\"prefix\":\"backbone.\"},"
            + "{\"type\":\"regex\",\"pattern\":\"^layer(\\\\d+)\\\\.\",\"replacement\":\"layers.$1.\"}],"
            + "\"onShapeMismatch\":\"COPY_OVERLAP\",\"freeze\":[\"backbone.*\"],\"initSeed\":7},"
            + "\"output\":{\"model\":\"stored-json\",\"formats\":[\"safetensors\",\"pytorch\","
            + "\"safetensors\"],\"description\":\"d\",\"tags\":{\"b\":\"2\",\"a\":\"1\"},"
            + "\"aliases\":[\"candidate\"]}}";
    HttpResponse<String> r = postJson("/api/v1/warm-starts", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);

    String options =
        "{\"strict\":false,\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"module.\"},"
            + "{\"type\":\"addPrefix\",\"prefix\":\"backbone.\"},"
            + "{\"type\":\"regex\",\"pattern\":\"^layer(\\\\d+)\\\\.\",\"replacement\":\"layers.$1.\"}],"
            + "\"onShapeMismatch\":\"COPY_OVERLAP\",\"dtype\":\"TARGET\",\"freeze\":[\"backbone.*\"],"
            + "\"initSeed\":7}";
    String output =
        "{\"model\":\"stored-json\",\"formats\":[\"safetensors\",\"pytorch\"],\"description\":\"d\","
            + "\"tags\":{\"b\":\"2\",\"a\":\"1\"},\"aliases\":[\"candidate\"]}";
    String request =
        "{\"checkpointId\":\"%s\",\"architectureId\":\"%s\",\"options\":%s,\"output\":%s}"
            .formatted(ckpt, arch, options, output);
    var row =
        jdbc.sql("select options, output, request_sha256 from warm_start_run where id = ?")
            .param(UUID.fromString(json(r).get("id").asString()))
            .query((rs, n) -> List.of(rs.getString(1), rs.getString(2), "" + rs.getString(3)))
            .single();
    assertThat(row.get(0)).isEqualTo(options);
    assertThat(row.get(1)).isEqualTo(output);

    // The same body with an Idempotency-Key stores the hash of that exact text.
    HttpResponse<String> keyed =
        http.send(
            java.net.http.HttpRequest.newBuilder(uri("/api/v1/warm-starts"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "stored-json-" + UUID.randomUUID())
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(keyed.statusCode()).as(keyed.body()).isEqualTo(202);
    assertThat(
            jdbc.sql("select request_sha256 from warm_start_run where id = ?")
                .param(UUID.fromString(json(keyed).get("id").asString()))
                .query(String.class)
                .single())
        .isEqualTo(sha256(request.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void shouldStoreAJsonArchitectureAsTheSameCanonicalBytesAndInitTextAsBefore() throws Exception {
    String name = "golden-" + UUID.randomUUID();
    String id =
        architecture(
            "{\"name\":\""
                + name
                + "\",\"entries\":["
                + "{\"key\":\"fc.weight\",\"dtype\":\"float32\",\"shape\":[2,3],"
                + "\"requiresGrad\":true,\"init\":{\"std\":0.02,\"scheme\":\"normal\",\"mean\":0}},"
                + "{\"key\":\"conv.weight\",\"dtype\":\"float32\",\"shape\":[4, 3, 1, 1]},"
                + "{\"key\":\"fc.bias\",\"dtype\":\"float32\",\"shape\":[2]},"
                + "{\"key\":\"bn.num_batches_tracked\",\"dtype\":\"int64\",\"shape\":[],"
                + "\"kind\":\"BUFFER\",\"init\":{\"scheme\":\"zeros\"}}]}");

    String canonical =
        "{\"name\":\""
            + name
            + "\",\"entries\":["
            + "{\"key\":\"fc.weight\",\"dtype\":\"float32\",\"shape\":[2,3],\"kind\":\"PARAMETER\","
            + "\"requiresGrad\":true,\"init\":{\"std\":0.02,\"scheme\":\"normal\",\"mean\":0}},"
            + "{\"key\":\"conv.weight\",\"dtype\":\"float32\",\"shape\":[4,3,1,1],\"kind\":\"PARAMETER\","
            + "\"requiresGrad\":true,\"init\":{\"scheme\":\"kaiming_uniform\",\"a\":2.23606797749979}},"
            + "{\"key\":\"fc.bias\",\"dtype\":\"float32\",\"shape\":[2],\"kind\":\"PARAMETER\","
            + "\"requiresGrad\":true,\"init\":{\"scheme\":\"zeros\"}},"
            + "{\"key\":\"bn.num_batches_tracked\",\"dtype\":\"int64\",\"shape\":[],\"kind\":\"BUFFER\","
            + "\"requiresGrad\":false,\"init\":{\"scheme\":\"zeros\"}}]}";
    assertThat(json(get("/api/v1/architectures/" + id)).get("sha256").asString())
        .isEqualTo(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    assertThat(
            jdbc.sql(
                    "select init from architecture_entry where architecture_id = ? order by ordinal")
                .param(UUID.fromString(id))
                .query(String.class)
                .list())
        .containsExactly(
            "{\"std\":0.02,\"scheme\":\"normal\",\"mean\":0}",
            "{\"scheme\":\"kaiming_uniform\",\"a\":2.23606797749979}",
            "{\"scheme\":\"zeros\"}",
            "{\"scheme\":\"zeros\"}");
  }

  @Test
  void shouldStoreACheckpointsDtypesMetadataAndModuleVersionsAsBefore() throws Exception {
    String id = upload("/api/v1/checkpoints?name=stored-json", Safetensors.unique());
    var row =
        jdbc.sql("select dtypes, metadata, module_versions from checkpoint where id = ?")
            .param(UUID.fromString(id))
            .query((rs, n) -> List.of(rs.getString(1), rs.getString(2), rs.getString(3)))
            .single();
    assertThat(row.get(0)).isEqualTo("{\"float32\":1}");
    assertThat(row.get(1)).matches("\\{\"test\":\"[0-9a-f-]{36}\"}");
    assertThat(row.get(2)).isEqualTo("{}");
  }

  @Test
  void shouldAnswerWithVersionsAndRunsStoredBefore() throws Exception {
    String model = "stored-before-" + UUID.randomUUID();
    String options =
        "{\"strict\":false,\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"module.\"}],"
            + "\"onShapeMismatch\":\"FAIL\",\"dtype\":\"TARGET\",\"freeze\":[],\"initSeed\":0}";
    String summary =
        "{\"targetKeys\":2,\"loaded\":1,\"initialized\":1,\"shapeMismatched\":0,\"unused\":0,"
            + "\"targetNumel\":10,\"loadedNumel\":6,\"initializedNumel\":4,"
            + "\"trainableInitializedNumel\":4,\"warmStartedFraction\":0.6}";
    UUID run = UUID.randomUUID();
    Timestamp now = Timestamp.from(Instant.now());
    jdbc.sql("insert into model (name, created_at, last_version) values (?, ?, 1)")
        .params(model, now)
        .update();
    jdbc.sql(
            "insert into model_version (model_name, version, created_at, description, tags, run_id,"
                + " checkpoint_id, checkpoint_sha256, architecture_id, options, summary)"
                + " values (?, 1, ?, null, cast(? as jsonb), ?, ?, ?, ?, ?, ?)")
        .params(
            model,
            now,
            "{\"stage\":\"prod\"}",
            run,
            UUID.randomUUID(),
            "0".repeat(64),
            UUID.randomUUID(),
            options,
            summary)
        .update();
    jdbc.sql(
            "insert into model_artifact (model_name, version, format, sha256, size_bytes)"
                + " values (?, 1, 'safetensors', ?, 8)")
        .params(model, "1".repeat(64))
        .update();

    JsonNode version = json(get("/api/v1/models/" + model + "/versions/1"));
    assertThat(version.get("lineage").get("options")).isEqualTo(JSON.readTree(options));
    assertThat(version.get("summary")).isEqualTo(JSON.readTree(summary));
    assertThat(version.get("tags")).isEqualTo(JSON.readTree("{\"stage\":\"prod\"}"));
    assertThat(version.get("artifacts").get(0).get("format").asString()).isEqualTo("safetensors");

    String report =
        "{\"strict\":false,\"outcome\":\"OK\",\"summary\":"
            + summary
            + ",\"missingKeys\":[],\"unexpectedKeys\":[],\"mismatchedKeys\":[],"
            + "\"entries\":[{\"targetKey\":\"w\",\"sourceKey\":\"module.w\",\"status\":\"LOADED\","
            + "\"action\":\"COPIED\",\"kind\":\"PARAMETER\",\"requiresGrad\":true,\"dtype\":\"float32\","
            + "\"shape\":[6],\"sourceDtype\":\"float32\",\"sourceShape\":[6]}],\"unused\":[],"
            + "\"suggestedKeyRules\":[],\"error\":null}";
    jdbc.sql(
            "insert into warm_start_run (id, status, checkpoint_id, architecture_id, options, output,"
                + " max_attempts, attempts, report, model_name, model_version, created_at, started_at,"
                + " finished_at) values (?, 'SUCCEEDED', ?, ?, ?, ?, 3, 1, ?, ?, 1, ?, ?, ?)")
        .params(
            run,
            UUID.randomUUID(),
            UUID.randomUUID(),
            options,
            "{\"model\":\""
                + model
                + "\",\"formats\":[\"safetensors\"],\"tags\":{},\"aliases\":[]}",
            report,
            model,
            now,
            now,
            now)
        .update();
    JsonNode stored = json(get("/api/v1/warm-starts/" + run));
    assertThat(stored.get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(stored.get("modelVersion").get("model").asString()).isEqualTo(model);
    assertThat(json(get("/api/v1/warm-starts/" + run + "/report")))
        .isEqualTo(JSON.readTree(report));
  }
}
