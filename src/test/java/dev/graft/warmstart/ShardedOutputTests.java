package dev.graft.warmstart;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.TestSupport;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code output.maxShardSize}: the artifacts are split as Hugging Face's {@code save_pretrained}
 * splits them, with the same file names and an index file byte for byte as {@code transformers}
 * writes it (compared with the committed files of {@code scripts/make_sharded_fixtures.py}, which
 * has the same layout); each file downloads by name, and the shards loaded with {@code
 * load_sharded_checkpoint}'s algorithm under torch ({@code scripts/load_state_dict.py}) are, bit
 * for bit, the unsharded run's tensors.
 */
class ShardedOutputTests extends IntegrationTest {

  private static final String FIXTURES = "fixtures/sharded/";

  private String upload(String kind, String file) throws Exception {
    HttpResponse<String> r =
        postFile("/api/v1/" + kind + "?name=encoder12", resource(FIXTURES + file));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return json(r).get("id").asString();
  }

  private String run(String ckpt, String arch, String maxShardSize) throws Exception {
    String model = "sharded-" + UUID.randomUUID();
    HttpResponse<String> r =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\",\"output\":{\"model\":\""
                + model
                + "\",\"formats\":[\"safetensors\",\"pytorch\"]"
                + (maxShardSize == null ? "" : ",\"maxShardSize\":\"" + maxShardSize + "\"")
                + "}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(r).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    return model;
  }

  private Path downloadFile(String model, String format, String fileName, Path folder)
      throws Exception {
    Path file = folder.resolve(fileName);
    HttpResponse<Path> r =
        http.send(
            HttpRequest.newBuilder(
                    uri(
                        "/api/v1/models/"
                            + model
                            + "/versions/1/artifacts/"
                            + format
                            + "/files/"
                            + fileName))
                .build(),
            HttpResponse.BodyHandlers.ofFile(file));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + sha256(file) + "\"");
    return file;
  }

  @Test
  void shouldSplitBothFormatsAsHuggingFaceAndLoadBackBitForBit() throws Exception {
    // The fresh encoder loaded into itself: the output is target.pt's values, in the fixture's
    // layout, so its split and index are the fixture's.
    String ckpt = upload("checkpoints", "target.pt");
    String arch = upload("architectures", "target.pt");
    String whole = run(ckpt, arch, null);
    String sharded = run(ckpt, arch, "300KB");

    JsonNode version = json(get("/api/v1/models/" + sharded + "/versions/1"));
    Path folder = Files.createTempDirectory("graft-shards-");
    for (JsonNode artifact : version.get("artifacts")) {
      String format = artifact.get("format").asString();
      boolean safetensors = format.equals("safetensors");
      String sub = safetensors ? "safetensors/" : "bin/";
      String indexName =
          safetensors ? "model.safetensors.index.json" : "pytorch_model.bin.index.json";
      Path formatFolder = Files.createDirectories(folder.resolve(format));

      List<String> names = new ArrayList<>();
      artifact.get("shards").forEach(s -> names.add(s.get("fileName").asString()));
      assertThat(names).hasSize(3);
      for (JsonNode shard : artifact.get("shards")) {
        Path file = downloadFile(sharded, format, shard.get("fileName").asString(), formatFolder);
        assertThat(sha256(file)).isEqualTo(shard.get("sha256").asString());
        assertThat(Files.size(file)).isEqualTo(shard.get("sizeBytes").asLong());
      }
      Path index = downloadFile(sharded, format, indexName, formatFolder);
      assertThat(sha256(index)).isEqualTo(artifact.get("sha256").asString());
      // transformers' split, names and index text (json.dumps(indent=2, sort_keys=True)).
      assertThat(Files.readString(index))
          .isEqualTo(Files.readString(resource(FIXTURES + sub + indexName)));
      // The artifact's own download is its index.
      assertThat(sha256(download(sharded, 1, format))).isEqualTo(sha256(index));

      Map<String, String> unsharded = MultiSourceRunTests.tensorHashes(download(whole, 1, format));
      if (TestSupport.torchAvailable()) {
        JsonNode loaded = JSON.readTree(TestSupport.torchLoad(index));
        Map<String, String> byTorch = new java.util.LinkedHashMap<>();
        loaded
            .get("sha256")
            .properties()
            .forEach(p -> byTorch.put(p.getKey(), p.getValue().asString()));
        assertThat(byTorch).as(format + " shards as transformers loads them").isEqualTo(unsharded);
      } else {
        Map<String, String> shards = new java.util.LinkedHashMap<>();
        for (String n : names) {
          shards.putAll(MultiSourceRunTests.tensorHashes(formatFolder.resolve(n)));
        }
        assertThat(shards).isEqualTo(unsharded);
      }
    }
    HttpResponse<String> unknown =
        get(
            "/api/v1/models/"
                + sharded
                + "/versions/1/artifacts/safetensors/files/model-00009-of-00003.safetensors");
    assertThat(unknown.statusCode()).isEqualTo(404);
    HttpResponse<String> notSharded =
        get(
            "/api/v1/models/"
                + whole
                + "/versions/1/artifacts/safetensors/files/model.safetensors.index.json");
    assertThat(notSharded.statusCode()).isEqualTo(404);
    assertThat(json(get("/api/v1/models/" + whole + "/versions/1")).at("/artifacts/0/shards"))
        .isEmpty();
  }

  @Test
  void shouldWriteOneFileWhenEverythingFitsInOneShard() throws Exception {
    String ckpt = upload("checkpoints", "target.pt");
    String arch = upload("architectures", "target.pt");
    String model = run(ckpt, arch, "5GB");
    for (JsonNode artifact :
        json(get("/api/v1/models/" + model + "/versions/1")).get("artifacts")) {
      assertThat(artifact.get("shards")).isEmpty();
    }
  }

  @Test
  void shouldRefuseASizeThatIsNoSize() throws Exception {
    String ckpt = upload("checkpoints", "target.pt");
    String arch = upload("architectures", "target.pt");
    for (String bad : List.of("5 parsecs", "0", "-1MB", "1.5GB", "")) {
      HttpResponse<String> r =
          postJson(
              "/api/v1/warm-starts",
              "{\"checkpointId\":\""
                  + ckpt
                  + "\",\"architectureId\":\""
                  + arch
                  + "\",\"output\":{\"model\":\"never\",\"maxShardSize\":\""
                  + bad
                  + "\"}}");
      assertThat(r.statusCode()).as(bad + ": " + r.body()).isEqualTo(400);
      assertThat(json(r).get("errors").get(0).get("field").asString())
          .isEqualTo("output.maxShardSize");
    }
  }

  @Test
  void shouldGiveEachTensorAShardOfItsOwnWhenNoTwoFitTogether() throws Exception {
    String ckpt = upload("checkpoints", "target.pt");
    String arch = upload("architectures", "target.pt");
    String model = "too-many-" + UUID.randomUUID();
    HttpResponse<String> r =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\",\"output\":{\"model\":\""
                + model
                + "\",\"maxShardSize\":\"1\"}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(r).get("id").asString());
    // Every tensor is larger than one byte: one file each (HF does the same), well under 10,000.
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    JsonNode artifact = json(get("/api/v1/models/" + model + "/versions/1")).at("/artifacts/0");
    assertThat(artifact.get("shards").size())
        .isEqualTo(
            JSON.readTree(Files.readAllBytes(resource(FIXTURES + "expected.json")))
                .get("keys")
                .size());
  }
}
