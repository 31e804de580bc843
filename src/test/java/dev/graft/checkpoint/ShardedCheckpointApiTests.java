package dev.graft.checkpoint;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.storage.BlobStore;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checkpoints uploaded in Hugging Face's sharded layout, from {@code
 * scripts/make_sharded_fixtures.py} (a 12-layer {@code nn.TransformerEncoder} saved as {@code
 * save_pretrained(max_shard_size="300KB")} saves it): one multipart request, the index checked
 * against the shards, each file a blob of its own (shared between checkpoints), previews and runs
 * reading across shards bit for bit what torch saved, and every disagreement refused with a 422
 * that names it, with nothing stored.
 */
class ShardedCheckpointApiTests extends IntegrationTest {

  private static final String FIXTURES = "fixtures/sharded/";

  @Autowired BlobStore blobs;

  /** A file part. */
  private record Part(String fileName, byte[] bytes) {}

  private static JsonNode expected() throws Exception {
    return JSON.readTree(Files.readAllBytes(resource(FIXTURES + "expected.json")));
  }

  /** The index first, then the shards of a layout, as committed. */
  private static List<Part> layout(String layout) throws Exception {
    boolean safetensors = layout.equals("safetensors");
    String index = safetensors ? "model.safetensors.index.json" : "pytorch_model.bin.index.json";
    List<Part> parts = new ArrayList<>();
    parts.add(file(layout + "/" + index));
    for (JsonNode name : expected().get(safetensors ? "safetensorsShards" : "binShards")) {
      parts.add(file(layout + "/" + name.asString()));
    }
    return parts;
  }

  private static Part file(String path) throws Exception {
    return new Part(
        path.substring(path.lastIndexOf('/') + 1), Files.readAllBytes(resource(FIXTURES + path)));
  }

  private HttpResponse<String> upload(String name, List<Part> parts) throws Exception {
    String boundary = "graft" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Part p : parts) {
      body.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                  + p.fileName()
                  + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      body.write(p.bytes());
      body.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return http.send(
        HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=" + name))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"safetensors", "bin"})
  void shouldStoreEachFileAsABlobAndListAndServeIt(String layout) throws Exception {
    List<Part> parts = layout(layout);
    HttpResponse<String> r = upload("encoder12-" + layout, parts);
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    JsonNode c = json(r);
    String id = c.get("id").asString();
    assertThat(c.get("format").asString())
        .isEqualTo(layout.equals("bin") ? "pytorch" : "safetensors");
    assertThat(c.get("tensorCount").asInt()).isEqualTo(expected().get("keys").size());
    assertThat(c.get("shards")).hasSize(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      JsonNode f = c.get("shards").get(i);
      assertThat(f.get("fileName").asString()).isEqualTo(parts.get(i).fileName());
      assertThat(f.get("sha256").asString()).isEqualTo(sha256(parts.get(i).bytes()));
      assertThat(f.get("sizeBytes").asLong()).isEqualTo(parts.get(i).bytes().length);
      assertThat(blobs.exists(f.get("sha256").asString())).isTrue();
      HttpResponse<byte[]> d =
          http.send(
              HttpRequest.newBuilder(
                      uri("/api/v1/checkpoints/" + id + "/files/" + parts.get(i).fileName()))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(d.statusCode()).isEqualTo(200);
      assertThat(d.body()).isEqualTo(parts.get(i).bytes());
    }
    // Its own bytes are the manifest: sha256sum's listing of the files.
    String manifest = get("/api/v1/checkpoints/" + id + "/content").body();
    assertThat(sha256(manifest.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(c.get("sha256").asString());
    assertThat(manifest).contains(sha256(parts.get(1).bytes()) + "  " + parts.get(1).fileName());

    // The same files again, in another order: the checkpoint stored before.
    List<Part> reordered = new ArrayList<>(parts.subList(1, parts.size()));
    java.util.Collections.reverse(reordered);
    reordered.add(1, parts.get(0));
    HttpResponse<String> again = upload("again", reordered);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(json(again).get("id").asString()).isEqualTo(id);

    // The stored index lists every key, in shard order.
    List<String> keys = new ArrayList<>();
    json(get("/api/v1/checkpoints/" + id + "/tensors?size=1000"))
        .get("items")
        .forEach(t -> keys.add(t.get("key").asString()));
    List<String> want = new ArrayList<>();
    expected().get("keys").forEach(k -> want.add(k.asString()));
    assertThat(keys).containsExactlyInAnyOrderElementsOf(want);
  }

  @ParameterizedTest
  @ValueSource(strings = {"safetensors", "bin"})
  void shouldPreviewAndRunAcrossShardsBitForBit(String layout) throws Exception {
    String ckpt = json(upload("encoder12-" + layout, layout(layout))).get("id").asString();
    HttpResponse<String> arch =
        postFile("/api/v1/architectures?name=encoder12", resource(FIXTURES + "target.pt"));
    String archId = json(arch).get("id").asString();
    JsonNode preview =
        json(
            postJson(
                "/api/v1/previews",
                "{\"checkpointId\":\"" + ckpt + "\",\"architectureId\":\"" + archId + "\"}"));
    assertThat(preview.get("outcome").asString()).as(preview.toString()).isEqualTo("OK");
    assertThat(preview.at("/summary/loaded").asInt()).isEqualTo(expected().get("keys").size());

    String model = "from-shards-" + UUID.randomUUID();
    HttpResponse<String> r =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + archId
                + "\",\"output\":{\"model\":\""
                + model
                + "\",\"formats\":[\"safetensors\"]}}");
    JsonNode run = awaitRun(json(r).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    Map<String, String> want = new LinkedHashMap<>();
    expected()
        .get("sha256")
        .properties()
        .forEach(p -> want.put(p.getKey(), p.getValue().asString()));
    assertThat(dev.graft.warmstart.ShardedTensors.hashes(download(model, 1, "safetensors")))
        .as("the run's tensors against torch's saved model")
        .isEqualTo(want);
  }

  @Test
  void shouldShareAShardsBytesBetweenTwoCheckpoints() throws Exception {
    List<Part> base = layout("safetensors");
    String first = json(upload("base", base)).get("id").asString();
    // A fine-tune that changed only the last shard's values (its last bytes): the same index.
    List<Part> tuned = new ArrayList<>(base);
    Part last = tuned.get(tuned.size() - 1);
    byte[] changed = last.bytes().clone();
    changed[changed.length - 2] ^= 0x01;
    tuned.set(tuned.size() - 1, new Part(last.fileName(), changed));
    HttpResponse<String> r = upload("tuned", tuned);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode second = json(r);
    JsonNode firstShards = json(get("/api/v1/checkpoints/" + first)).get("shards");
    for (int i = 0; i < base.size() - 1; i++) {
      assertThat(second.get("shards").get(i).get("sha256").asString())
          .isEqualTo(firstShards.get(i).get("sha256").asString());
    }
    String changedSha = sha256(changed);
    assertThat(second.get("shards").get(base.size() - 1).get("sha256").asString())
        .isEqualTo(changedSha);

    // Deleting the tuned one keeps the shared shards and collects its own.
    assertThat(delete("/api/v1/checkpoints/" + second.get("id").asString()).statusCode())
        .isEqualTo(204);
    assertThat(blobs.exists(changedSha)).isFalse();
    for (JsonNode f : firstShards) {
      assertThat(blobs.exists(f.get("sha256").asString())).isTrue();
    }
  }

  /** Uploads a broken set; it must be refused naming the problem, with none of its bytes kept. */
  private void assertRefused(List<Part> parts, String detail) throws Exception {
    String name = "broken-" + UUID.randomUUID();
    HttpResponse<String> r = upload(name, parts);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
    assertThat(json(r).get("detail").asString()).contains(detail);
    assertThat(json(get("/api/v1/checkpoints?q=" + name)).get("total").asLong()).isZero();
    // Files no stored checkpoint has (an edited index) left no blob; the committed files may be
    // another checkpoint's.
    List<String> committed = new ArrayList<>();
    for (String l : List.of("safetensors", "bin")) {
      layout(l).forEach(p -> committed.add(sha256(p.bytes())));
    }
    for (Part p : parts) {
      String sha = sha256(p.bytes());
      if (!committed.contains(sha)) {
        assertThat(blobs.exists(sha)).as(p.fileName() + " kept").isFalse();
      }
    }
    assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
  }

  private static Part index(List<Part> parts, java.util.function.Consumer<ObjectNode> edit)
      throws Exception {
    ObjectNode index = (ObjectNode) JSON.readTree(parts.get(0).bytes());
    edit.accept(index);
    return new Part(parts.get(0).fileName(), JSON.writeValueAsBytes(index));
  }

  private static List<Part> with(List<Part> parts, Part index) {
    List<Part> out = new ArrayList<>(parts);
    out.set(0, index);
    return out;
  }

  @Test
  void shouldRefuseAnIndexThatDisagreesWithItsShardsAndStoreNothing() throws Exception {
    List<Part> ok = layout("safetensors");
    String firstKey = expected().get("keys").get(0).asString();
    String lastShard = ok.get(ok.size() - 1).fileName();

    assertRefused(ok.subList(0, ok.size() - 1), "which was not sent");
    List<Part> extra = new ArrayList<>(ok);
    extra.add(new Part("model-00004-of-00003.safetensors", ok.get(1).bytes()));
    assertRefused(extra, "was sent but the index names no tensor in it");
    assertRefused(
        with(ok, index(ok, i -> ((ObjectNode) i.get("weight_map")).remove(firstKey))),
        "which the index does not list");
    assertRefused(
        with(ok, index(ok, i -> ((ObjectNode) i.get("weight_map")).put(firstKey, lastShard))),
        "which the index puts in");
    assertRefused(
        with(ok, index(ok, i -> ((ObjectNode) i.get("weight_map")).put("ghost.weight", lastShard))),
        "which does not hold it");
    assertRefused(
        with(ok, index(ok, i -> ((ObjectNode) i.get("metadata")).put("total_size", 12345))),
        "metadata.total_size is 12345");
    assertRefused(
        with(
            ok,
            new Part(ok.get(0).fileName(), "{\"weight_map\": [".getBytes(StandardCharsets.UTF_8))),
        "shard index");
    List<Part> twoIndexes = new ArrayList<>(ok);
    twoIndexes.add(new Part("pytorch_model.bin.index.json", ok.get(0).bytes()));
    assertRefused(twoIndexes, "exactly one index file");
    List<Part> noIndex = new ArrayList<>(ok.subList(1, ok.size()));
    assertRefused(noIndex, "exactly one index file");
    // Safetensors shards where the client said pytorch (files never stored before: stored ones
    // answer with their checkpoint, whatever the format says, as single files do).
    List<Part> fresh = new ArrayList<>(ok);
    byte[] last = ok.get(ok.size() - 1).bytes().clone();
    last[last.length - 4] ^= (byte) (1 + new java.util.Random().nextInt(255));
    fresh.set(ok.size() - 1, new Part(lastShard, last));
    String name = "wrong-format-" + UUID.randomUUID();
    HttpResponse<String> wrong = upload(name + "&format=pytorch", fresh);
    assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(422);
    assertThat(json(wrong).get("detail").asString()).contains("expected pytorch shards");
    // The bin layout's shards under the safetensors index: names not in the index.
    List<Part> mixed = new ArrayList<>(layout("bin"));
    mixed.set(0, ok.get(0));
    assertRefused(mixed, "which was not sent");
  }
}
