package dev.graft.format.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.Bytes;
import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Reads small real torch.save files made by scripts/make_torch_reader_samples.py. */
class TorchCheckpointReaderTests {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static byte[] resource(String name) throws IOException {
    try (InputStream in =
        TorchCheckpointReaderTests.class.getResourceAsStream("/format/torch/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static CheckpointIndex read(String name) throws IOException {
    return CheckpointReader.read(Bytes.channel(resource(name)), null, null, ReadLimits.defaults());
  }

  private static JsonNode expected(String name) throws IOException {
    return JSON.readTree(resource("expected.json")).get(name);
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "dtypes.pt",
        "batchnorm.pt",
        "keep_vars.pt",
        "nested.pt",
        "lightning.pt",
        "views.pt"
      })
  void shouldIndexRealTorchFilesAsTorchDescribesThem(String name) throws Exception {
    byte[] file = resource(name);
    CheckpointIndex index = read(name);
    JsonNode want = expected(name);

    assertThat(index.format()).isEqualTo(CheckpointFormat.PYTORCH);
    assertThat(index.stateDictPath()).isEqualTo(want.get("stateDictPath").asString());
    assertThat(index.tensors()).hasSize(want.get("tensors").size());
    for (int i = 0; i < index.tensors().size(); i++) {
      TensorInfo t = index.tensors().get(i);
      JsonNode w = want.get("tensors").get(i);
      String key = w.get("key").asString();
      assertThat(t.key()).isEqualTo(key);
      assertThat(t.dtype().torchName()).as(key).isEqualTo(w.get("dtype").asString());
      assertThat(t.shape()).as(key).isEqualTo(longs(w.get("shape")));
      assertThat(t.strides()).as(key).isEqualTo(longs(w.get("stride")));
      assertThat(t.storageOffset()).as(key).isEqualTo(w.get("storageOffset").asLong());
      assertThat(t.parameter()).as(key).isEqualTo(w.get("parameter").asBoolean());
      assertThat(t.requiresGrad())
          .as(key)
          .isEqualTo(w.get("requiresGrad").isNull() ? null : w.get("requiresGrad").asBoolean());
      assertThat(t.byteOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
      assertThat(t.storageKey()).startsWith("data/");
      assertThat(sha256(TensorData.readContiguous(Bytes.channel(file), t)))
          .as(key)
          .isEqualTo(w.get("sha256").asString());
    }
    assertThat(JSON.readTree(JSON.writeValueAsString(index.metadata())))
        .isEqualTo(want.get("metadata"));
    assertThat(JSON.readTree(JSON.writeValueAsString(index.moduleVersions())))
        .isEqualTo(want.get("moduleVersions"));
  }

  private static List<Long> longs(JsonNode array) {
    return array.valueStream().map(JsonNode::asLong).toList();
  }

  @Test
  void shouldFindModelStateDictBesideOptimizerAndKeepEpoch() throws IOException {
    CheckpointIndex index = read("nested.pt");

    assertThat(index.stateDictPath()).isEqualTo("model_state_dict");
    assertThat(index.metadata()).containsExactly(Map.entry("epoch", 3L));
  }

  @Test
  void shouldKeepLightningHyperParametersAndGlobalStep() throws IOException {
    CheckpointIndex index = read("lightning.pt");

    assertThat(index.stateDictPath()).isEqualTo("state_dict");
    assertThat(index.metadata())
        .containsKeys("global_step", "hyper_parameters", "pytorch-lightning_version")
        .doesNotContainKey("optimizer_states");
    assertThat(index.metadata().get("global_step")).isEqualTo(7L);
  }

  @Test
  void shouldShareOneStorageBetweenTiedWeightsAndViews() throws IOException {
    CheckpointIndex index = read("views.pt");

    List<String> storages =
        index.tensors().stream().map(TensorInfo::storageKey).distinct().toList();
    assertThat(storages).hasSize(1);
    TensorInfo transposed = index.tensors().get(2);
    assertThat(transposed.key()).isEqualTo("transposed");
    assertThat(transposed.contiguous()).isFalse();
    assertThat(transposed.strides()).containsExactly(1L, 6L);
  }

  @Test
  void shouldReadZeroDimAndEmptyTensors() throws IOException {
    CheckpointIndex index = read("dtypes.pt");

    TensorInfo scalar =
        index.tensors().stream().filter(t -> t.key().equals("scalar")).findFirst().orElseThrow();
    assertThat(scalar.shape()).isEmpty();
    assertThat(scalar.numel()).isEqualTo(1);
    TensorInfo empty =
        index.tensors().stream().filter(t -> t.key().equals("empty")).findFirst().orElseThrow();
    assertThat(empty.numel()).isZero();
  }

  @Test
  void shouldMarkParametersSavedWithKeepVars() throws IOException {
    CheckpointIndex index = read("keep_vars.pt");

    TensorInfo fc =
        index.tensors().stream().filter(t -> t.key().equals("fc.weight")).findFirst().orElseThrow();
    assertThat(fc.parameter()).isTrue();
    assertThat(fc.requiresGrad()).isFalse();
    TensorInfo conv =
        index.tensors().stream()
            .filter(t -> t.key().equals("conv.weight"))
            .findFirst()
            .orElseThrow();
    assertThat(conv.requiresGrad()).isTrue();
    TensorInfo mean =
        index.tensors().stream()
            .filter(t -> t.key().equals("bn.running_mean"))
            .findFirst()
            .orElseThrow();
    assertThat(mean.parameter()).isFalse();
  }

  @Test
  void shouldRefuseARealTorchScriptArchiveWithGuidance() {
    assertThatThrownBy(() -> read("torchscript.pt"))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("TorchScript archive (torch.jit.save); upload it as an architecture");
  }

  @Test
  void shouldRefuseARealLegacyFileWithGuidance() {
    assertThatThrownBy(() -> read("legacy.pt"))
        .isInstanceOf(FormatException.class)
        .satisfies(
            e ->
                assertThat(((FormatException) e).kind())
                    .isEqualTo(FormatException.Kind.UNSUPPORTED))
        .hasMessageContaining("legacy torch.save file (pre-1.6 format)");
  }

  @Test
  void shouldReadBatchNormModuleVersions() throws IOException {
    assertThat(read("batchnorm.pt").moduleVersions()).containsEntry("bn", 2L).containsEntry("", 1L);
  }
}
