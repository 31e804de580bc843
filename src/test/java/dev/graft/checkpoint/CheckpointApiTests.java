package dev.graft.checkpoint;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class CheckpointApiTests extends IntegrationTest {

  private static final String FIXTURES = "fixtures/conformance/";

  @Test
  void shouldStoreANestedCheckpointAndDescribeItsStateDict() throws Exception {
    Path file = resource(FIXTURES + "nested_optimizer.pt");
    HttpResponse<String> r = postFile("/api/v1/checkpoints?name=nested-epoch3", file);

    assertThat(r.statusCode()).isIn(200, 201);
    JsonNode c = json(r);
    assertThat(c.get("name").asString()).isIn("nested-epoch3");
    assertThat(c.get("sha256").asString()).isEqualTo(sha256(file));
    assertThat(c.get("sizeBytes").asLong()).isEqualTo(Files.size(file));
    assertThat(c.get("format").asString()).isEqualTo("pytorch");
    assertThat(c.get("stateDictPath").asString()).isEqualTo("model_state_dict");
    assertThat(c.get("tensorCount").asInt()).isEqualTo(4);
    assertThat(c.get("metadata").get("epoch").asInt()).isEqualTo(3);
    assertThat(c.get("dtypes").get("float32").asInt()).isEqualTo(4);
    assertThat(c.get("createdAt").asString()).endsWith("Z");
  }

  @Test
  void shouldAnswer201WithLocationThen200WithTheSameCheckpointForIdenticalBytes() throws Exception {
    byte[] bytes = Files.readAllBytes(resource(FIXTURES + "conv2d.pt"));
    // Make the bytes unique to this test so an earlier test's upload cannot answer for it.
    HttpResponse<String> first = postBytes("/api/v1/checkpoints?name=conv", bytes);
    HttpResponse<String> second = postBytes("/api/v1/checkpoints?name=conv-again", bytes);

    assertThat(first.statusCode()).isEqualTo(201);
    String id = json(first).get("id").asString();
    assertThat(first.headers().firstValue("Location")).hasValue("/api/v1/checkpoints/" + id);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(json(second).get("id").asString()).isEqualTo(id);
    assertThat(json(second).get("name").asString()).isEqualTo("conv");
  }

  private HttpResponse<String> postBytesWithKey(String path, byte[] body, String key)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/octet-stream")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldReplayAnUploadForItsIdempotencyKeyAndRefuseTheKeyForOtherBytes() throws Exception {
    byte[] bytes = Files.readAllBytes(resource(FIXTURES + "tied.pt"));
    byte[] other = Files.readAllBytes(resource(FIXTURES + "noncontiguous.pt"));
    String key = "upload-" + UUID.randomUUID();

    HttpResponse<String> first = postBytesWithKey("/api/v1/checkpoints?name=tied", bytes, key);
    HttpResponse<String> retry = postBytesWithKey("/api/v1/checkpoints?name=tied", bytes, key);
    HttpResponse<String> otherBytes = postBytesWithKey("/api/v1/checkpoints?name=tied", other, key);
    HttpResponse<String> otherName =
        postBytesWithKey("/api/v1/checkpoints?name=renamed", bytes, key);

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(retry.statusCode()).as("same status as the first answer").isEqualTo(201);
    assertThat(json(retry).get("id").asString()).isEqualTo(json(first).get("id").asString());
    assertThat(otherBytes.statusCode()).isEqualTo(409);
    assertThat(json(otherBytes).get("detail").asString()).contains(key);
    assertThat(otherName.statusCode()).isEqualTo(409);
    // The refused bytes were not stored.
    String otherSha = sha256(other);
    assertThat(json(get("/api/v1/checkpoints?size=1000")).get("items"))
        .noneSatisfy(c -> assertThat(c.get("sha256").asString()).isEqualTo(otherSha));
  }

  @Test
  void shouldAcceptAMultipartUploadStreamedFromItsFilePart() throws Exception {
    byte[] file = Files.readAllBytes(resource(FIXTURES + "st_small.safetensors"));
    String boundary = "graft" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"small.safetensors\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    body.write(file);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));

    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isIn(200, 201);
    JsonNode c = json(r);
    assertThat(c.get("format").asString()).isEqualTo("safetensors");
    assertThat(c.get("sha256").asString()).isEqualTo(sha256(file));
    assertThat(c.get("tensorCount").asInt()).isEqualTo(5);
  }

  @Test
  void shouldListTensorsInFileOrderPagedAndFilteredByPrefix() throws Exception {
    String id =
        json(postFile("/api/v1/checkpoints?name=block", resource(FIXTURES + "resnet_block.pt")))
            .get("id")
            .asString();

    List<String> keys = new ArrayList<>();
    for (int page = 0; ; page++) {
      JsonNode p = json(get("/api/v1/checkpoints/" + id + "/tensors?size=10&page=" + page));
      assertThat(p.get("total").asInt()).isEqualTo(38);
      p.get("items").forEach(t -> keys.add(t.get("key").asString()));
      if (p.get("items").size() < 10) {
        break;
      }
    }
    JsonNode expected = expectedFile("resnet_block.pt");
    List<String> expectedKeys = new ArrayList<>();
    expected.get("tensors").forEach(t -> expectedKeys.add(t.get("key").asString()));
    assertThat(keys).isEqualTo(expectedKeys);

    String prefix = expectedKeys.get(0).substring(0, expectedKeys.get(0).indexOf('.') + 1);
    JsonNode filtered =
        json(get("/api/v1/checkpoints/" + id + "/tensors?size=1000&prefix=" + prefix));
    assertThat(filtered.get("items"))
        .allSatisfy(t -> assertThat(t.get("key").asString()).startsWith(prefix));
    assertThat(filtered.get("total").asLong())
        .isEqualTo(expectedKeys.stream().filter(k -> k.startsWith(prefix)).count());
    JsonNode first = filtered.get("items").get(0);
    assertThat(
            first.has("dtype")
                && first.has("shape")
                && first.has("numel")
                && first.has("sizeBytes"))
        .isTrue();
  }

  @Test
  void shouldDownloadTheOriginalBytesWithEtagAndRanges() throws Exception {
    byte[] bytes = Files.readAllBytes(resource(FIXTURES + "embedding.pt"));
    String id = json(postBytes("/api/v1/checkpoints?name=emb", bytes)).get("id").asString();
    String etag = "\"" + sha256(bytes) + "\"";

    HttpResponse<byte[]> whole =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + id + "/content")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.body()).isEqualTo(bytes);
    assertThat(whole.headers().firstValue("ETag")).hasValue(etag);
    assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(bytes.length);

    HttpResponse<byte[]> part =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + id + "/content"))
                .header("Range", "bytes=10-19")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 10, 20));
    assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 10-19/" + bytes.length);

    HttpResponse<byte[]> tail =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + id + "/content"))
                .header("Range", "bytes=-5")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(tail.body())
        .isEqualTo(java.util.Arrays.copyOfRange(bytes, bytes.length - 5, bytes.length));

    HttpResponse<byte[]> beyond =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + id + "/content"))
                .header("Range", "bytes=" + bytes.length + "-")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */" + bytes.length);

    HttpResponse<byte[]> notModified =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + id + "/content"))
                .header("If-None-Match", etag)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(notModified.statusCode()).isEqualTo(304);
  }

  @Test
  void shouldDeleteACheckpointItsIndexAndItsBlob() throws Exception {
    byte[] bytes = Files.readAllBytes(resource(FIXTURES + "layernorm.pt"));
    String id = json(postBytes("/api/v1/checkpoints?name=ln", bytes)).get("id").asString();
    Path blob =
        DATA_DIR
            .resolve("blobs/sha256")
            .resolve(sha256(bytes).substring(0, 2))
            .resolve(sha256(bytes).substring(2, 4))
            .resolve(sha256(bytes));
    assertThat(blob).exists();

    assertThat(delete("/api/v1/checkpoints/" + id).statusCode()).isEqualTo(204);

    assertThat(get("/api/v1/checkpoints/" + id).statusCode()).isEqualTo(404);
    assertThat(get("/api/v1/checkpoints/" + id + "/tensors").statusCode()).isEqualTo(404);
    assertThat(blob).doesNotExist();
    assertThat(delete("/api/v1/checkpoints/" + id).statusCode()).isEqualTo(404);
  }

  @Test
  void shouldPageAndSearchTheListByName() throws Exception {
    String unique = "search-" + UUID.randomUUID();
    postFile("/api/v1/checkpoints?name=" + unique, resource(FIXTURES + "zero_dim.pt"));
    JsonNode found = json(get("/api/v1/checkpoints?q=" + unique.toUpperCase()));
    assertThat(found.get("total").asInt()).isEqualTo(1);
    assertThat(found.get("items").get(0).get("name").asString()).isEqualTo(unique);
    JsonNode page = json(get("/api/v1/checkpoints?page=0&size=1"));
    assertThat(page.get("items").size()).isEqualTo(1);
    assertThat(page.get("page").asInt()).isZero();
    assertThat(page.get("size").asInt()).isEqualTo(1);
  }

  @Test
  void shouldAnswerProblemJsonForUnknownIdsAndBadParameters() throws Exception {
    HttpResponse<String> missing = get("/api/v1/checkpoints/" + UUID.randomUUID());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(json(missing).get("detail").asString()).contains("does not exist");

    HttpResponse<String> notUuid = get("/api/v1/checkpoints/not-a-uuid");
    assertThat(notUuid.statusCode()).isEqualTo(400);
    assertThat(notUuid.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));

    HttpResponse<String> badSize = get("/api/v1/checkpoints?size=0");
    assertThat(badSize.statusCode()).isEqualTo(400);
    assertThat(json(badSize).get("errors").get(0).get("field").asString()).isEqualTo("size");

    HttpResponse<String> noName = postBytes("/api/v1/checkpoints", new byte[] {1, 2, 3});
    assertThat(noName.statusCode()).isEqualTo(400);
    assertThat(json(noName).get("detail").asString()).contains("name");

    HttpResponse<String> badFormat =
        postBytes("/api/v1/checkpoints?name=x&format=onnx", new byte[] {1, 2, 3});
    assertThat(badFormat.statusCode()).isEqualTo(400);
    assertThat(json(badFormat).get("detail").asString()).contains("onnx");
  }

  @Test
  void shouldRefuseAFormatThatDoesNotMatchTheDeclaredOne() throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/checkpoints?name=x&format=safetensors", resource(FIXTURES + "linear.pt"));
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(json(r).get("type").asString()).endsWith("/file-rejected");
  }

  @Test
  void shouldHonourAnExplicitStateDictPath() throws Exception {
    HttpResponse<String> r =
        postFile(
            "/api/v1/checkpoints?name=opt&stateDictPath=does_not_exist",
            resource(FIXTURES + "lightning.ckpt"));
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(json(r).get("detail").asString()).contains("does_not_exist");
  }

  static JsonNode expectedFile(String name) throws Exception {
    JsonNode all = JSON.readTree(Files.readAllBytes(resource(FIXTURES + "expected.json")));
    for (JsonNode f : all.get("files")) {
      if (f.get("file").asString().equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException(name);
  }
}
