package dev.graft.client;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The Java client generated from {@code openapi/graft.json} (openapi-generator, {@code native}
 * library, see the pom) does the README's whole flow against the running server with a bearer
 * token: {@link JavaClientFlow} runs in a JVM of its own with a 32 MiB heap and uploads, then
 * downloads, an 80 MB checkpoint, which it can only do by streaming.
 */
class JavaClientFlowTests extends IntegrationTest {

  static final long ROWS = 5000;
  static final long COLS = 4000;
  private static final int CLIENT_HEAP_MIB = 32;

  @TempDir Path dir;

  @Test
  void shouldDoTheReadmeFlowThroughTheGeneratedJavaClientStreamingACheckpointLargerThanItsHeap()
      throws Exception {
    Path checkpoint = dir.resolve("big.safetensors");
    writeSafetensors(checkpoint);
    assertThat(Files.size(checkpoint)).isGreaterThan(2L * CLIENT_HEAP_MIB * 1024 * 1024);
    Path result = dir.resolve("result.json");
    Path log = dir.resolve("client.log");
    String model = "java-client-" + java.util.UUID.randomUUID().toString().substring(0, 8);

    Process client =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + CLIENT_HEAP_MIB + "m",
                "-cp",
                System.getProperty("java.class.path"),
                JavaClientFlow.class.getName(),
                "http://localhost:" + port,
                ADMIN_TOKEN,
                checkpoint.toString(),
                model,
                result.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean ended = client.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      client.destroyForcibly();
    }
    assertThat(ended)
        .as("the client's flow ended in time; log:\n" + Files.readString(log))
        .isTrue();
    assertThat(client.exitValue()).as("the client's log:\n" + Files.readString(log)).isZero();

    JsonNode r = JSON.readTree(Files.readString(result));
    assertThat(r.get("maxHeap").asLong()).isLessThan(Files.size(checkpoint));
    // The report's suggested key rule was read as its own subtype and sent back as one.
    assertThat(r.get("suggestedType").asString()).isEqualTo("stripPrefix");
    assertThat(r.get("suggestedPrefix").asString()).isEqualTo("module.");
    assertThat(r.get("previewLoaded").asInt()).isEqualTo(2);
    assertThat(r.get("reportLoaded").asInt()).isEqualTo(2);
    assertThat(r.get("reportInitialized").asInt()).isEqualTo(1);
    assertThat(r.get("lineageSha256").asString()).isEqualTo(sha256(checkpoint));

    Path downloaded = Path.of(r.get("downloaded").asString());
    assertThat(sha256(downloaded)).isEqualTo(r.get("artifactSha256").asString());
    // The output holds the checkpoint's tensors, byte for byte, under the rewritten keys.
    assertThat(tensorShas(downloaded).subList(0, 2)).isEqualTo(tensorShas(checkpoint));
    JsonNode version = json(get("/api/v1/models/" + model + "/versions/1"));
    assertThat(version.get("tags").get("made-by").asString()).isEqualTo("java-client");
  }

  private static List<String> tensorShas(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      CheckpointIndex index = CheckpointReader.read(ch, null, null, ReadLimits.defaults());
      for (TensorInfo t : index.tensors()) {
        out.add(sha256(TensorData.readContiguous(ch, t)));
      }
    }
    return out;
  }

  /** A safetensors file of two float32 tensors under "module.", about 80 MB, written in chunks. */
  private static void writeSafetensors(Path file) throws IOException {
    long bigBytes = ROWS * COLS * 4;
    String header =
        "{\"module.big.weight\":{\"dtype\":\"F32\",\"shape\":["
            + ROWS
            + ","
            + COLS
            + "],\"data_offsets\":[0,"
            + bigBytes
            + "]},\"module.fc.bias\":{\"dtype\":\"F32\",\"shape\":[10],\"data_offsets\":["
            + bigBytes
            + ","
            + (bigBytes + 40)
            + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    int padded = (h.length + 7) / 8 * 8;
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(padded).put(h);
      while (prefix.hasRemaining()) {
        prefix.put((byte) ' ');
      }
      prefix.flip();
      ch.write(prefix);
      ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      long floats = ROWS * COLS + 10;
      for (long i = 0; i < floats; i++) {
        chunk.putFloat((i % 10007) * 0.001f);
        if (!chunk.hasRemaining() || i == floats - 1) {
          chunk.flip();
          while (chunk.hasRemaining()) {
            ch.write(chunk);
          }
          chunk.clear();
        }
      }
    }
  }
}
