package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.read.CheckpointReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Layouts, deterministic tensor bytes and the torch check shared by the writer tests. */
public final class WriterFixtures {

  public static final String PYTHON = "/usr/bin/python3";
  public static final String NEEDS_TORCH =
      "needs /usr/bin/python3 with torch (apt-get install python3-torch)";

  /** The dtypes torch 1.13 has, which the torch check can load. */
  public static final List<DType> TORCH_113_DTYPES =
      List.of(
          DType.FLOAT64,
          DType.FLOAT32,
          DType.FLOAT16,
          DType.BFLOAT16,
          DType.INT64,
          DType.INT32,
          DType.INT16,
          DType.INT8,
          DType.UINT8,
          DType.BOOL,
          DType.COMPLEX64,
          DType.COMPLEX128);

  private static Boolean torchAvailable;

  private WriterFixtures() {}

  /** One tensor of every dtype in {@code dtypes}, with shapes that vary in rank. */
  public static List<OutputTensor> everyDtype(List<DType> dtypes) {
    long[][] shapes = {{3, 4}, {5}, {2, 1, 3}, {7}, {}, {1, 1}, {4, 2}};
    List<OutputTensor> layout = new ArrayList<>();
    for (int i = 0; i < dtypes.size(); i++) {
      layout.add(OutputTensor.of("t." + dtypes.get(i).torchName(), dtypes.get(i), shapes[i % 7]));
    }
    return layout;
  }

  /** Deterministic bytes for a tensor; bool elements are 0 or 1, as torch requires. */
  public static byte[] data(OutputTensor t, long seed) {
    byte[] b = new byte[(int) t.sizeBytes()];
    SplittableRandom r = new SplittableRandom(seed ^ t.key().hashCode());
    for (int i = 0; i < b.length; i++) {
      b[i] = t.dtype() == DType.BOOL ? (byte) r.nextInt(2) : (byte) r.nextInt(256);
    }
    return b;
  }

  /** Writes every tensor of the writer's layout with {@link #data} bytes. */
  public static void writeAll(StateDictWriter w, long seed) throws IOException {
    for (OutputTensor t : w.layout()) {
      w.write(t.key(), ByteBuffer.wrap(data(t, seed)));
    }
    w.finish();
  }

  /** An in-memory output. */
  public static final class Sink {
    public final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    public final WritableByteChannel channel = Channels.newChannel(bytes);

    public byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  /** Checks that a written file reads back with the given tensors and seeded bytes. */
  public static CheckpointIndex readBack(
      byte[] file, CheckpointFormat format, List<OutputTensor> layout, long seed)
      throws IOException {
    BytesChannel ch = new BytesChannel(file);
    CheckpointIndex index = CheckpointReader.read(ch, format, null, ReadLimits.defaults());
    assertThat(index.format()).isEqualTo(format);
    assertThat(index.tensors()).hasSize(layout.size());
    for (int i = 0; i < layout.size(); i++) {
      OutputTensor want = layout.get(i);
      TensorInfo got = index.tensors().get(i);
      assertThat(got.key()).isEqualTo(want.key());
      assertThat(got.dtype()).isEqualTo(want.dtype());
      assertThat(got.shape()).isEqualTo(want.shape());
      // TensorInfo.contiguous() says false for some empty shapes such as [3, 0, 2]; no bytes then.
      assertThat(got.contiguous() || got.numel() == 0).isTrue();
      assertThat(TensorData.readContiguous(ch, got))
          .as("bytes of %s", want.key())
          .isEqualTo(data(want, seed));
    }
    return index;
  }

  public static synchronized boolean torchAvailable() {
    if (torchAvailable == null) {
      try {
        Process p =
            new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        torchAvailable = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (IOException e) {
        torchAvailable = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        torchAvailable = false;
      }
    }
    return torchAvailable;
  }

  /** The expectation the Python check reads for one file. */
  public static String fileSpec(
      Path path, String format, List<OutputTensor> layout, long seed, Map<String, String> meta) {
    StringBuilder json = new StringBuilder("{\"path\":");
    str(json, path.toString());
    json.append(",\"format\":\"").append(format).append("\",\"metadata\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : meta.entrySet()) {
      json.append(first ? "" : ",");
      str(json, e.getKey());
      json.append(':');
      str(json, e.getValue());
      first = false;
    }
    json.append("},\"tensors\":[");
    for (int i = 0; i < layout.size(); i++) {
      OutputTensor t = layout.get(i);
      json.append(i > 0 ? "," : "").append("{\"key\":");
      str(json, t.key());
      json.append(",\"dtype\":\"").append(t.dtype().torchName()).append("\",\"shape\":");
      json.append(t.shape()).append(",\"sha256\":\"").append(sha256(data(t, seed)));
      json.append("\"}");
    }
    return json.append("]}").toString();
  }

  /** Runs check_written.py on the expectations and asserts that it prints OK. */
  public static void runTorchCheck(Path dir, String expectationsJson) throws Exception {
    Path spec = dir.resolve("expectations.json");
    Files.writeString(spec, expectationsJson);
    Path script = dir.resolve("check_written.py");
    try (InputStream in = WriterFixtures.class.getResourceAsStream("/format/check_written.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder(PYTHON, script.toString(), spec.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("check_written.py finished").isTrue();
    assertThat(p.exitValue()).as("check_written.py said:\n%s", output).isZero();
    assertThat(output).startsWith("OK");
  }

  public static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static void str(StringBuilder json, String s) {
    json.append('"');
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    json.append('"');
  }
}
