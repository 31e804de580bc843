package dev.graft.format.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.Bytes;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.WriterFixtures;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.ObjectMapper;

/**
 * Rewrites the real TorchScript samples of scripts/make_torchscript_samples.py with new values and
 * reads them back with Graft's reader and, where Debian's torch is installed, with {@code
 * torch.jit.load}, running each model forward.
 */
class TorchScriptRewriterTests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SAMPLES =
      List.of("linear.pt", "sequential.pt", "nested.pt", "no_bias.pt", "traced.pt", "tied.pt");

  private static byte[] resource(String name) throws IOException {
    try (InputStream in =
        TorchScriptRewriterTests.class.getResourceAsStream("/format/torchscript/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static TorchScriptIndex read(byte[] file) throws IOException {
    return TorchScriptReader.read(Bytes.channel(file), ReadLimits.defaults());
  }

  /**
   * Deterministic new values for key number {@code k}: distinct per key and element, and unlike
   * anything torch initialises, so a value left unchanged shows.
   */
  static byte[] newValue(TensorInfo t, int k) {
    int n = (int) t.numel();
    ByteBuffer b = ByteBuffer.allocate((int) t.sizeBytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (t.dtype()) {
        case FLOAT32 -> b.putFloat(0.25f * (k + 1) + 0.125f * i - 1.5f);
        case FLOAT64 -> b.putDouble(0.25 * (k + 1) + 0.125 * i - 1.5);
        case INT64 -> b.putLong(100L * (k + 1) + i);
        case INT32 -> b.putInt(100 * (k + 1) + i);
        default -> {
          for (int j = 0; j < t.dtype().itemSize(); j++) {
            b.put((byte) (31 * k + 7 * i + j));
          }
        }
      }
    }
    return b.array();
  }

  private static byte[] rewrite(
      byte[] file, TorchScriptIndex index, TorchScriptRewriter.ValueSource v) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TorchScriptRewriter.rewrite(
        Bytes.channel(file), index, v, Channels.newChannel(out), ReadLimits.defaults());
    return out.toByteArray();
  }

  /** The new values by key, and the keys the rewriter asked for, in the order it asked. */
  private record Rewritten(byte[] file, Map<String, byte[]> values, List<String> asked) {}

  private static Rewritten rewriteSample(String name) throws IOException {
    byte[] file = resource(name);
    TorchScriptIndex index = read(file);
    Map<String, byte[]> values = new LinkedHashMap<>();
    List<TensorInfo> tensors = index.tensors();
    for (int k = 0; k < tensors.size(); k++) {
      values.put(tensors.get(k).key(), newValue(tensors.get(k), k));
    }
    List<String> asked = new ArrayList<>();
    byte[] out =
        rewrite(
            file,
            index,
            key -> {
              asked.add(key);
              return ByteBuffer.wrap(values.get(key));
            });
    return new Rewritten(out, values, asked);
  }

  /**
   * What each key reads as after the rewrite: keys viewing the same elements (tied weights) all
   * hold the last such key's value, as after {@code load_state_dict}.
   */
  private static Map<String, byte[]> expectedAfter(TorchScriptIndex index, Map<String, byte[]> v) {
    Map<String, String> lastOfView = new HashMap<>();
    for (TensorInfo t : index.tensors()) {
      lastOfView.put(view(t), t.key());
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (TensorInfo t : index.tensors()) {
      out.put(t.key(), v.get(lastOfView.get(view(t))));
    }
    return out;
  }

  private static String view(TensorInfo t) {
    return t.storageKey() + "@" + t.storageOffset() + t.shape() + t.strides();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"linear.pt", "sequential.pt", "nested.pt", "no_bias.pt", "traced.pt", "tied.pt"})
  void readsBackTheNewValuesAndEverythingElseUnchanged(String name) throws Exception {
    byte[] original = resource(name);
    TorchScriptIndex before = read(original);
    Rewritten r = rewriteSample(name);

    assertThat(r.asked())
        .as("each key asked for once")
        .containsExactlyInAnyOrderElementsOf(r.values().keySet());
    TorchScriptIndex after = read(r.file());
    assertThat(after.rootClass()).isEqualTo(before.rootClass());
    assertThat(after.entries()).hasSameSizeAs(before.entries());
    Map<String, byte[]> expected = expectedAfter(before, r.values());
    for (int i = 0; i < before.entries().size(); i++) {
      TorchScriptEntry a = after.entries().get(i);
      TorchScriptEntry b = before.entries().get(i);
      assertThat(a.key()).isEqualTo(b.key());
      assertThat(a.kind()).isEqualTo(b.kind());
      assertThat(a.tensor().dtype()).isEqualTo(b.tensor().dtype());
      assertThat(a.tensor().shape()).isEqualTo(b.tensor().shape());
      assertThat(a.tensor().requiresGrad()).isEqualTo(b.tensor().requiresGrad());
      assertThat(TensorData.readContiguous(Bytes.channel(r.file()), a.tensor()))
          .as(a.key())
          .isEqualTo(expected.get(a.key()));
    }

    TorchZip in = TorchZip.open(Bytes.channel(original), ReadLimits.defaults());
    TorchZip out = TorchZip.open(Bytes.channel(r.file()), ReadLimits.defaults());
    assertThat(out.entries())
        .extracting(TorchZipEntry::name)
        .containsExactlyElementsOf(in.entries().stream().map(TorchZipEntry::name).toList());
    for (int i = 0; i < in.entries().size(); i++) {
      TorchZipEntry e = in.entries().get(i);
      TorchZipEntry o = out.entries().get(i);
      assertThat(o.method()).as(e.name()).isEqualTo(e.method());
      assertThat(o.size()).as(e.name()).isEqualTo(e.size());
      assertThat(o.dataOffset() % 64).as("%s is 64-byte aligned", e.name()).isZero();
      byte[] content = out.readContent(Bytes.channel(r.file()), o, Long.MAX_VALUE);
      CRC32 crc = new CRC32();
      crc.update(content);
      assertThat((int) crc.getValue()).as("%s CRC-32", e.name()).isEqualTo(o.crc());
      boolean storage =
          before.tensors().stream()
              .anyMatch(t -> e.name().equals(in.root() + "/" + t.storageKey()));
      if (!storage) {
        assertThat(o.crc()).as(e.name()).isEqualTo(e.crc());
        assertThat(o.compressedSize()).as(e.name()).isEqualTo(e.compressedSize());
        assertThat(content)
            .as("%s is copied unchanged", e.name())
            .isEqualTo(in.readContent(Bytes.channel(original), e, Long.MAX_VALUE));
      }
    }
  }

  @Test
  void laterKeysWinWhereTiedKeysViewTheSameStorage() throws Exception {
    byte[] file = resource("tied.pt");
    TorchScriptIndex index = read(file);
    List<TensorInfo> tensors = index.tensors();
    assertThat(tensors).hasSize(2);
    assertThat(tensors.get(0).storageKey()).isEqualTo(tensors.get(1).storageKey());
    byte[] first = newValue(tensors.get(0), 0);
    byte[] second = newValue(tensors.get(1), 1);
    byte[] out =
        rewrite(
            file, index, key -> ByteBuffer.wrap(key.equals(tensors.get(0).key()) ? first : second));
    TorchScriptIndex after = read(out);
    for (TensorInfo t : after.tensors()) {
      assertThat(TensorData.readContiguous(Bytes.channel(out), t)).as(t.key()).isEqualTo(second);
    }
  }

  @Test
  void scattersAStridedViewIntoItsStorage() throws Exception {
    byte[] file = resource("linear.pt");
    TorchScriptIndex index = read(file);
    // The samples hold no strided views, so view linear's 2x3 weight storage as its 3x2 transpose.
    TensorInfo w = index.tensors().get(0);
    TensorInfo transposed = withView(w, List.of(3L, 2L), List.of(1L, 3L));
    TorchScriptIndex strided =
        new TorchScriptIndex(
            index.rootClass(),
            List.of(
                new TorchScriptEntry(transposed, index.entries().get(0).kind()),
                index.entries().get(1)));
    byte[] value = newValue(transposed, 0);
    byte[] bias = newValue(index.tensors().get(1), 1);
    byte[] out = rewrite(file, strided, key -> ByteBuffer.wrap(key.equals(w.key()) ? value : bias));

    TorchScriptIndex after = read(out);
    TensorInfo readBack = withView(after.tensors().get(0), List.of(3L, 2L), List.of(1L, 3L));
    assertThat(TensorData.readContiguous(Bytes.channel(out), readBack)).isEqualTo(value);
    assertThat(TensorData.readContiguous(Bytes.channel(out), after.tensors().get(1)))
        .isEqualTo(bias);
  }

  private static TensorInfo withView(TensorInfo t, List<Long> shape, List<Long> strides) {
    return new TensorInfo(
        t.key(),
        t.dtype(),
        shape,
        strides,
        t.storageOffset(),
        t.storageKey(),
        t.storageDataOffset(),
        t.storageBytes(),
        t.byteOrder(),
        t.parameter(),
        t.requiresGrad());
  }

  @Test
  void refusesAValueOfTheWrongSizeNamingTheKey() throws Exception {
    byte[] file = resource("linear.pt");
    TorchScriptIndex index = read(file);
    assertThatThrownBy(
            () ->
                rewrite(
                    file,
                    index,
                    key ->
                        ByteBuffer.wrap(
                            key.equals("bias")
                                ? new byte[12]
                                : newValue(index.tensors().get(0), 0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bias'")
        .hasMessageContaining("exactly 8 bytes but has 12");
  }

  @Test
  void refusesAMissingValueNamingTheKey() throws Exception {
    byte[] file = resource("linear.pt");
    TorchScriptIndex index = read(file);
    assertThatThrownBy(
            () -> rewrite(file, index, key -> key.equals("weight") ? null : ByteBuffer.allocate(8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no new value for key 'weight'");
  }

  @Test
  void refusesAnIndexOfAnotherArchive() throws Exception {
    TorchScriptIndex other = read(resource("nested.pt"));
    assertThatThrownBy(() -> rewrite(resource("linear.pt"), other, key -> ByteBuffer.allocate(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the index does not describe this archive");
  }

  @Test
  void torchLoadsAndRunsTheRewrittenArchives(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(WriterFixtures.torchAvailable(), WriterFixtures.NEEDS_TORCH);
    Map<String, Map<String, Object>> inputs =
        Map.of(
            "linear.pt", floatInput(2, 3),
            "sequential.pt", floatInput(2, 4),
            "nested.pt", floatInput(2, 3),
            "no_bias.pt", floatInput(2, 3),
            "traced.pt", floatInput(2, 4),
            "tied.pt", Map.of("dtype", "int64", "shape", List.of(2, 3), "high", 5));
    List<Map<String, Object>> files = new ArrayList<>();
    for (String name : SAMPLES) {
      Path original = dir.resolve("original-" + name);
      Files.write(original, resource(name));
      Rewritten r = rewriteSample(name);
      Path path = dir.resolve(name);
      Files.write(path, r.file());
      Map<String, byte[]> expected = expectedAfter(read(resource(name)), r.values());
      List<Map<String, Object>> tensors = new ArrayList<>();
      expected.forEach((k, v) -> tensors.add(Map.of("key", k, "sha256", WriterFixtures.sha256(v))));
      files.add(
          Map.of(
              "path", path.toString(),
              "original", original.toString(),
              "tensors", tensors,
              "input", inputs.get(name)));
    }
    Path spec = dir.resolve("spec.json");
    Files.writeString(spec, JSON.writeValueAsString(Map.of("files", files)));
    Path script = dir.resolve("check_torchscript.py");
    try (InputStream in = getClass().getResourceAsStream("/format/check_torchscript.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder(WriterFixtures.PYTHON, script.toString(), spec.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("check_torchscript.py finished").isTrue();
    assertThat(p.exitValue()).as("check_torchscript.py said:\n%s", output).isZero();
    assertThat(output).startsWith("OK");
  }

  private static Map<String, Object> floatInput(int rows, int cols) {
    return Map.of("dtype", "float32", "shape", List.of(rows, cols));
  }
}
