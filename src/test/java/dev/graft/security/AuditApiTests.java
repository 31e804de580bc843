package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.registry.RegistryService;
import dev.graft.registry.Safetensors;
import dev.graft.registry.TestVersions;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * The audit log over the API: every change with its actor and address, written with the change (a
 * refused change leaves no line), and refused calls aggregated per address.
 */
class AuditApiTests extends IntegrationTest {

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;
  @Autowired RefusalAudit refusals;
  @Autowired BadTokenLockout lockout;

  private String writerName;
  private HttpClient writer;

  @BeforeEach
  void writer() throws Exception {
    JsonNode t = new Tokens(http, port).create("write", null);
    writerName = t.get("name").asString();
    writer = newClient(t.get("token").asString());
  }

  @AfterEach
  void forgetRefusals() {
    lockout.clear();
  }

  private HttpResponse<String> send(
      HttpClient client, String method, String path, String type, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (type != null) {
      b.header("Content-Type", type);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The log's lines for a query string, newest first. */
  private List<JsonNode> audit(String query) throws Exception {
    HttpResponse<String> r = get("/api/v1/audit?size=1000&" + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    json(r).get("items").forEach(out::add);
    return out;
  }

  private List<JsonNode> auditOf(String resourceId) throws Exception {
    return audit("actor=" + enc(writerName)).stream()
        .filter(e -> resourceId.equals(e.get("resourceId").asString(null)))
        .toList();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void shouldRecordEveryChangeWithItsActorAndAddress() throws Exception {
    Instant start = Instant.now().minusSeconds(1);
    HttpResponse<String> ckpt =
        send(
            writer,
            "POST",
            "/api/v1/checkpoints?name=audited",
            "application/octet-stream",
            Safetensors.unique());
    assertThat(ckpt.statusCode()).as(ckpt.body()).isEqualTo(201);
    String ckptId = json(ckpt).get("id").asString();
    HttpResponse<String> arch =
        send(
            writer,
            "POST",
            "/api/v1/architectures",
            "application/json",
            Safetensors.uniqueArchitectureJson().getBytes(StandardCharsets.UTF_8));
    assertThat(arch.statusCode()).as(arch.body()).isEqualTo(201);
    String archId = json(arch).get("id").asString();

    JsonNode upload = auditOf(ckptId).get(0);
    assertThat(upload.get("action").asString()).isEqualTo("checkpoint.upload");
    assertThat(upload.get("resourceType").asString()).isEqualTo("checkpoint");
    assertThat(upload.get("actor").asString()).isEqualTo(writerName);
    assertThat(upload.get("remoteAddr").asString()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
    assertThat(upload.get("detail").asString()).contains("audited");
    assertThat(Instant.parse(upload.get("at").asString())).isAfter(start);
    assertThat(auditOf(archId).get(0).get("action").asString()).isEqualTo("architecture.upload");

    // A run, executed by the worker: its version is Graft's own change.
    String model = TestVersions.uniqueModel("audited");
    String body =
        "{\"checkpointId\": \""
            + ckptId
            + "\", \"architectureId\": \""
            + archId
            + "\", \"output\": {\"model\": \""
            + model
            + "\", \"formats\": [\"safetensors\"]}}";
    HttpResponse<String> run =
        send(
            writer,
            "POST",
            "/api/v1/warm-starts",
            "application/json",
            body.getBytes(StandardCharsets.UTF_8));
    assertThat(run.statusCode()).as(run.body()).isEqualTo(202);
    String runId = json(run).get("id").asString();
    assertThat(auditOf(runId).get(0).get("action").asString()).isEqualTo("run.create");
    JsonNode done = awaitRun(runId);
    assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    JsonNode created =
        audit("action=version.create&actor=system").stream()
            .filter(e -> e.get("resourceId").asString().equals(model + "/1"))
            .findFirst()
            .orElseThrow();
    assertThat(created.get("detail").asString()).contains(runId);
    assertThat(created.get("remoteAddr").isNull()).isTrue();

    // Registry edits.
    String v = "/api/v1/models/" + model;
    assertThat(
            send(
                    writer,
                    "PUT",
                    v + "/aliases/champion",
                    "application/json",
                    "{\"version\": 1}".getBytes())
                .statusCode())
        .isEqualTo(200);
    assertThat(
            send(
                    writer,
                    "PATCH",
                    v + "/versions/1",
                    "application/json",
                    "{\"description\": \"best\"}".getBytes())
                .statusCode())
        .isEqualTo(200);
    // Refused: an alias points at it. A refused change writes no line.
    assertThat(send(writer, "DELETE", v + "/versions/1", null, null).statusCode()).isEqualTo(409);
    assertThat(send(writer, "DELETE", v + "/aliases/champion", null, null).statusCode())
        .isEqualTo(204);
    assertThat(send(writer, "DELETE", v + "/versions/1", null, null).statusCode()).isEqualTo(204);

    List<String> actions =
        audit("actor=" + enc(writerName)).stream()
            .filter(e -> e.get("resourceId").asString("").startsWith(model + "/"))
            .map(e -> e.get("action").asString())
            .toList();
    // Newest first.
    assertThat(actions)
        .containsExactly("version.delete", "alias.delete", "version.update", "alias.move");

    // Deletes, one refused (a version's lineage names the checkpoint? no: it is gone; the run is
    // finished), then done.
    assertThat(send(writer, "DELETE", "/api/v1/checkpoints/" + ckptId, null, null).statusCode())
        .isEqualTo(204);
    assertThat(send(writer, "DELETE", "/api/v1/checkpoints/" + ckptId, null, null).statusCode())
        .isEqualTo(404);
    assertThat(auditOf(ckptId))
        .extracting(e -> e.get("action").asString())
        .containsExactly("checkpoint.delete", "checkpoint.upload");
  }

  @Test
  void shouldRecordACancelOnlyWhenItIsAccepted() throws Exception {
    String ckptId =
        json(send(
                writer,
                "POST",
                "/api/v1/checkpoints?name=c",
                "application/octet-stream",
                Safetensors.unique()))
            .get("id")
            .asString();
    String archId =
        json(send(
                writer,
                "POST",
                "/api/v1/architectures",
                "application/json",
                Safetensors.uniqueArchitectureJson().getBytes(StandardCharsets.UTF_8)))
            .get("id")
            .asString();
    String body =
        "{\"checkpointId\": \""
            + ckptId
            + "\", \"architectureId\": \""
            + archId
            + "\", \"output\": {\"model\": \""
            + TestVersions.uniqueModel("cancelled")
            + "\"}}";
    String runId =
        json(send(
                writer,
                "POST",
                "/api/v1/warm-starts",
                "application/json",
                body.getBytes(StandardCharsets.UTF_8)))
            .get("id")
            .asString();
    HttpResponse<String> cancel =
        send(writer, "POST", "/api/v1/warm-starts/" + runId + "/cancel", null, null);
    List<String> actions = auditOf(runId).stream().map(e -> e.get("action").asString()).toList();
    if (cancel.statusCode() == 200) {
      assertThat(actions).containsExactly("run.cancel", "run.create");
    } else {
      // The worker finished it first: the cancel was refused and left no line.
      assertThat(cancel.statusCode()).isEqualTo(409);
      assertThat(actions).containsExactly("run.create");
    }
  }

  @Test
  void shouldRecordTokenChangesAndFilterByActorActionAndTime() throws Exception {
    JsonNode t = new Tokens(http, port).create("read", null);
    String id = t.get("id").asString();
    new Tokens(http, port).revoke(id);
    List<JsonNode> lines =
        audit("action=token.revoke&actor=bootstrap-admin").stream()
            .filter(e -> e.get("resourceId").asString().equals(id))
            .toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0).get("detail").asString())
        .contains(t.get("name").asString())
        .contains(t.get("prefix").asString())
        .doesNotContain(t.get("token").asString().substring(15));
    assertThat(
            audit("action=token.create").stream()
                .anyMatch(e -> e.get("resourceId").asString().equals(id)))
        .isTrue();
    assertThat(audit("since=" + enc(Instant.now().plusSeconds(3600).toString()))).isEmpty();
    assertThat(audit("action=token.revoke"))
        .allMatch(e -> e.get("action").asString().equals("token.revoke"));

    HttpResponse<String> bad = get("/api/v1/audit?since=yesterday");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("errors").get(0).get("field").asString()).isEqualTo("since");
  }

  @Test
  void shouldRecordRefusedCallsAggregatedPerAddress() throws Exception {
    // A new minute for the aggregation, whatever ran before.
    refusals.flush();
    String marker = "/api/v1/models/refused-" + UUID.randomUUID();
    HttpClient anonymous = newClient(null);
    for (int i = 0; i < 6; i++) {
      assertThat(
              anonymous
                  .send(
                      HttpRequest.newBuilder(uri(marker)).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(401);
    }
    // The first is written at once, with what was called.
    List<JsonNode> first =
        audit("action=auth.refused&actor=anonymous").stream()
            .filter(e -> e.get("detail").asString().contains(marker))
            .toList();
    assertThat(first).hasSize(1);
    assertThat(first.get(0).get("remoteAddr").asString()).isNotBlank();
    assertThat(first.get(0).get("resourceType").isNull()).isTrue();

    // A 403 names the caller.
    HttpClient reader = newClient(new Tokens(http, port).secret("read"));
    HttpResponse<String> denied =
        reader.send(
            HttpRequest.newBuilder(uri(marker)).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(denied.statusCode()).isEqualTo(403);

    // The other five are one more line, when the minute ends.
    refusals.flush();
    List<JsonNode> summed =
        audit("action=auth.refused&actor=anonymous").stream()
            .filter(e -> e.get("detail").asString().contains("5 more refused calls"))
            .filter(e -> e.get("detail").asString().contains(marker))
            .toList();
    assertThat(summed).hasSize(1);
    assertThat(
            audit("action=access.denied").stream()
                .anyMatch(
                    e ->
                        e.get("detail").asString().contains(marker)
                            && e.get("detail").asString().contains("'write' scope")))
        .isTrue();
  }
}
