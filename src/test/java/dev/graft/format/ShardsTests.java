package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hugging Face's shard split, names, sizes and index text, and the writer over the shards. */
class ShardsTests {

  private static OutputTensor t(String key, long n) {
    return OutputTensor.of(key, DType.FLOAT32, n);
  }

  @Test
  void shouldReadSizesAsTransformersDoes() {
    assertThat(Shards.parseSize("5GB")).isEqualTo(5_000_000_000L);
    assertThat(Shards.parseSize("5gib")).isEqualTo(5L << 30);
    assertThat(Shards.parseSize("2MB")).isEqualTo(2_000_000L);
    assertThat(Shards.parseSize("300KB")).isEqualTo(300_000L);
    assertThat(Shards.parseSize("1234")).isEqualTo(1234L);
    for (String bad : new String[] {"", "0", "1.5GB", "-1", "5 parsecs", "99999999999999TB"}) {
      assertThatThrownBy(() -> Shards.parseSize(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void shouldStartAShardWhenTheNextTensorWouldOverflowAndGiveABigTensorItsOwn() {
    // 400, 400, 2000, 400 bytes at a 1000-byte maximum: [a, b] [big] [c].
    List<List<OutputTensor>> shards =
        Shards.split(List.of(t("a", 100), t("b", 100), t("big", 500), t("c", 100)), 1000);
    assertThat(shards).hasSize(3);
    assertThat(shards.get(0)).extracting(OutputTensor::key).containsExactly("a", "b");
    assertThat(shards.get(1)).extracting(OutputTensor::key).containsExactly("big");
    assertThat(shards.get(2)).extracting(OutputTensor::key).containsExactly("c");
    assertThat(Shards.fileName("model", ".safetensors", 1, 3))
        .isEqualTo("model-00002-of-00003.safetensors");
  }

  @Test
  void shouldRefuseASplitIntoMoreFilesThanTheLimit() {
    List<OutputTensor> many = new ArrayList<>();
    for (int i = 0; i <= Shards.MAX_SHARDS; i++) {
      many.add(t("t" + i, 1));
    }
    assertThatThrownBy(() -> Shards.split(many, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than 10000 files");
  }

  @Test
  void shouldWriteTheIndexAsPythonsJsonDumpsWithSortedKeys() {
    List<List<OutputTensor>> shards =
        List.of(List.of(t("z\u00e9", 1), t("b\"q", 2)), List.of(t("a", 3)));
    assertThat(Shards.indexJson(shards, List.of("m-1", "m-2")))
        .isEqualTo(
            "{\n  \"metadata\": {\n    \"total_size\": 24\n  },\n  \"weight_map\": {\n"
                + "    \"a\": \"m-2\",\n    \"b\\\"q\": \"m-1\",\n    \"z\\u00e9\": \"m-1\"\n  }\n}\n");
  }

  @Test
  void shouldWriteEachShardThroughItsOwnWriterAndRefuseOutOfOrderKeys() throws Exception {
    List<List<OutputTensor>> shards = List.of(List.of(t("a", 1), t("b", 1)), List.of(t("c", 1)));
    List<ByteArrayOutputStream> files = new ArrayList<>();
    ShardedStateDictWriter w =
        new ShardedStateDictWriter(
            shards,
            (i, layout) -> {
              ByteArrayOutputStream out = new ByteArrayOutputStream();
              files.add(out);
              return dev.graft.format.safetensors.SafetensorsWriter.open(
                  Channels.newChannel(out), layout, java.util.Map.of());
            });
    w.write("a", ByteBuffer.allocate(4));
    w.write("b", ByteBuffer.allocate(4));
    assertThat(files).hasSize(1);
    w.write("c", ByteBuffer.allocate(4));
    w.finish();
    assertThat(files).hasSize(2);
    assertThat(w.bytesWritten()).isEqualTo(files.get(0).size() + files.get(1).size());

    ShardedStateDictWriter wrong =
        new ShardedStateDictWriter(
            shards,
            (i, layout) ->
                dev.graft.format.safetensors.SafetensorsWriter.open(
                    Channels.newChannel(new ByteArrayOutputStream()), layout, java.util.Map.of()));
    assertThatThrownBy(() -> wrong.write("b", ByteBuffer.allocate(4)))
        .isInstanceOf(IllegalStateException.class);
    ShardedStateDictWriter short_ =
        new ShardedStateDictWriter(
            shards,
            (i, layout) ->
                dev.graft.format.safetensors.SafetensorsWriter.open(
                    Channels.newChannel(new ByteArrayOutputStream()), layout, java.util.Map.of()));
    short_.write("a", ByteBuffer.allocate(4));
    assertThatThrownBy(short_::finish).hasMessageContaining("'b' was never written");
  }
}
