package dev.graft.storage;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.HttpTest;
import dev.graft.shared.GraftProperties;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The whole flow over HTTP with blobs in an S3-compatible store: S3Proxy started in this JVM before
 * the Spring context, and the application configured as an operator would ({@code
 * graft.storage.type=s3}). This context has its own data folder, so its embedded PostgreSQL is not
 * the one the filesystem-store tests share.
 */
class S3FlowTests extends HttpTest {

  private static final String BUCKET = "graft-flow";
  private static final S3ProxyServer S3;
  private static final Path OWN_DATA_DIR;

  static {
    try {
      S3 = S3ProxyServer.start();
      OWN_DATA_DIR = Files.createTempDirectory("graft-s3-test-");
      // The cached context outlives this class; the server goes with the JVM.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      S3.close();
                    } catch (Exception ignored) {
                      // exiting anyway
                    }
                  }));
    } catch (Exception e) {
      throw new IllegalStateException("cannot start S3Proxy", e);
    }
  }

  @DynamicPropertySource
  static void s3(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", OWN_DATA_DIR::toString);
    registry.add("graft.storage.type", () -> "s3");
    registry.add("graft.storage.s3.endpoint", () -> S3.endpoint().toString());
    registry.add("graft.storage.s3.bucket", () -> BUCKET);
    registry.add("graft.storage.s3.access-key", () -> S3ProxyServer.ACCESS_KEY);
    registry.add("graft.storage.s3.secret-key", () -> S3ProxyServer.SECRET_KEY);
    registry.add("graft.storage.s3.prefix", () -> "graft");
    registry.add("graft.storage.s3.part-size", () -> "5MB");
  }

  @Autowired GraftProperties properties;
  @Autowired BlobStore store;

  private static String key(String sha) {
    return "graft/sha256/" + sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha;
  }

  @Test
  void shouldRunOnItsOwnDataFolderWithTheS3Store() {
    assertThat(properties.dataDir()).isEqualTo(OWN_DATA_DIR);
    assertThat(store).isInstanceOf(S3BlobStore.class);
    assertThat(OWN_DATA_DIR.resolve("blobs/sha256")).doesNotExist();
  }

  @Test
  void shouldUploadPreviewWarmStartAndDownloadWithEveryBlobInTheBucket() throws Exception {
    JsonNode c = oracleCase("added_layer_lenient");
    byte[] ckptBytes = Files.readAllBytes(resource(ORACLE + c.get("checkpointFile").asString()));
    byte[] archBytes = Files.readAllBytes(resource(ORACLE + c.get("targetFile").asString()));
    HttpResponse<String> ckptUpload = postBytes("/api/v1/checkpoints?name=s3-ckpt", ckptBytes);
    assertThat(ckptUpload.statusCode()).as(ckptUpload.body()).isIn(200, 201);
    String ckpt = json(ckptUpload).get("id").asString();
    assertThat(json(ckptUpload).get("tensorCount").asInt()).isEqualTo(4);
    HttpResponse<String> archUpload = postBytes("/api/v1/architectures?name=s3-arch", archBytes);
    assertThat(archUpload.statusCode()).as(archUpload.body()).isIn(200, 201);
    String arch = json(archUpload).get("id").asString();
    assertThat(S3.keys(BUCKET)).contains(key(sha256(ckptBytes)), key(sha256(archBytes)));

    HttpResponse<String> preview =
        postJson(
            "/api/v1/previews",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":{\"strict\":false}}");
    assertThat(preview.statusCode()).as(preview.body()).isEqualTo(200);
    assertThat(json(preview).get("outcome").asString()).isEqualTo("OK");

    String model = "s3-" + UUID.randomUUID();
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", ckpt);
    body.put("architectureId", arch);
    body.set("options", c.get("options"));
    body.putObject("output")
        .put("model", model)
        .putArray("formats")
        .add("safetensors")
        .add("pytorch");
    HttpResponse<String> submitted = postJson("/api/v1/warm-starts", body.toString());
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode run = awaitRun(json(submitted).get("id").asString());
    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");

    int version = run.get("modelVersion").get("version").asInt();
    for (String format : List.of("safetensors", "pytorch")) {
      Path file = download(model, version, format);
      String sha = sha256(file);
      assertThat(S3.keys(BUCKET)).contains(key(sha));
      assertHolds(file, c.get("expected").get("result"));
      Files.delete(file);
    }

    HttpResponse<byte[]> part =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints/" + ckpt + "/content"))
                .header("Range", "bytes=100-1099")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(ckptBytes, 100, 1100));
    assertThat(part.headers().firstValue("Content-Range"))
        .hasValue("bytes 100-1099/" + ckptBytes.length);
    // Nothing is staged locally once uploads are committed.
    try (var staged = Files.list(OWN_DATA_DIR.resolve("blobs/tmp"))) {
      assertThat(staged).isEmpty();
    }
  }

  @Test
  void shouldDeleteACheckpointAndItsObject() throws Exception {
    byte[] bytes = Files.readAllBytes(resource("fixtures/conformance/layernorm.pt"));
    HttpResponse<String> upload = postBytes("/api/v1/checkpoints?name=s3-delete", bytes);
    assertThat(upload.statusCode()).as(upload.body()).isIn(200, 201);
    String id = json(upload).get("id").asString();
    assertThat(S3.keys(BUCKET)).contains(key(sha256(bytes)));

    assertThat(delete("/api/v1/checkpoints/" + id).statusCode()).isEqualTo(204);

    assertThat(get("/api/v1/checkpoints/" + id).statusCode()).isEqualTo(404);
    assertThat(S3.keys(BUCKET)).doesNotContain(key(sha256(bytes)));
  }
}
