package dev.graft.format.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.zip.RangeCrc;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A sharded checkpoint read as one: offsets into the shards laid end to end, every tensor's bytes
 * those torch saved, and the read limits applied to the shards together as well as to each.
 */
class ShardedCheckpointReaderTests {

  private static final Path DIR = Path.of("src/test/resources/fixtures/sharded");

  private static CheckpointIndex read(String layout, ReadLimits limits, List<FileChannel> open)
      throws Exception {
    JsonNode expected =
        JsonMapper.builder().build().readTree(DIR.resolve("expected.json").toFile());
    boolean st = layout.equals("safetensors");
    List<CheckpointReader.Shard> shards = new ArrayList<>();
    for (JsonNode n : expected.get(st ? "safetensorsShards" : "binShards")) {
      Path p = DIR.resolve(layout).resolve(n.asString());
      FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
      open.add(ch);
      shards.add(new CheckpointReader.Shard(n.asString(), Files.size(p), ch, RangeCrc.reading(ch)));
    }
    byte[] index =
        Files.readAllBytes(
            DIR.resolve(layout)
                .resolve(st ? "model.safetensors.index.json" : "pytorch_model.bin.index.json"));
    return CheckpointReader.readSharded(index, shards, limits);
  }

  @Test
  void shouldPlaceEveryTensorInTheShardsLaidEndToEnd() throws Exception {
    JsonNode expected =
        JsonMapper.builder().build().readTree(DIR.resolve("expected.json").toFile());
    for (String layout : List.of("safetensors", "bin")) {
      List<FileChannel> open = new ArrayList<>();
      try {
        CheckpointIndex index = read(layout, ReadLimits.defaults(), open);
        assertThat(index.tensors()).hasSize(expected.get("keys").size());
        long[] starts = new long[open.size() + 1];
        for (int i = 0; i < open.size(); i++) {
          starts[i + 1] = starts[i] + open.get(i).size();
        }
        for (TensorInfo t : index.tensors()) {
          int shard = 0;
          while (starts[shard + 1] <= t.byteStart()) {
            shard++;
          }
          ByteBuffer bytes = ByteBuffer.allocate((int) t.sizeBytes());
          open.get(shard).read(bytes, t.byteStart() - starts[shard]);
          String sha =
              HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
          assertThat(sha)
              .as(layout + " " + t.key())
              .isEqualTo(expected.get("sha256").get(t.key()).asString());
        }
      } finally {
        for (FileChannel ch : open) {
          ch.close();
        }
      }
    }
  }

  @Test
  void shouldApplyTheTensorLimitToAllShardsTogether() throws Exception {
    // Each shard holds fewer than 80 tensors (so each alone is within the limit); together they
    // hold 147, as the index lists them.
    List<FileChannel> open = new ArrayList<>();
    try {
      assertThatThrownBy(() -> read("bin", ReadLimits.defaults().withMaxTensors(80), open))
          .isInstanceOf(FormatException.class)
          .hasMessageContaining("lists 147 tensors, over the limit of 80");
    } finally {
      for (FileChannel ch : open) {
        ch.close();
      }
    }
  }
}
