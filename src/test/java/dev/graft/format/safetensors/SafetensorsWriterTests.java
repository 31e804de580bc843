package dev.graft.format.safetensors;

import static dev.graft.format.WriterFixtures.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.BytesChannel;
import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.OutputTensor;
import dev.graft.format.ReadLimits;
import dev.graft.format.WriterFixtures;
import dev.graft.format.read.CheckpointReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTests {

  private static final List<DType> SAFETENSORS_DTYPES =
      Arrays.stream(DType.values()).filter(d -> d.safetensorsCode() != null).toList();

  @Test
  void everyDtypeRoundTripsThroughTheReader() throws Exception {
    List<OutputTensor> layout = WriterFixtures.everyDtype(SAFETENSORS_DTYPES);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(
        "note",
        "quote \" backslash \\ newline \n tab \t control \u0001 unicode \u00e9\ud83d\ude00");
    WriterFixtures.Sink sink = new WriterFixtures.Sink();
    SafetensorsWriter w = SafetensorsWriter.open(sink.channel, layout, meta);
    WriterFixtures.writeAll(w, 1);
    byte[] file = sink.toByteArray();
    assertThat(w.bytesWritten()).isEqualTo(file.length);

    CheckpointIndex index = WriterFixtures.readBack(file, CheckpointFormat.SAFETENSORS, layout, 1);
    assertThat(index.metadata()).isEqualTo(Map.copyOf(meta));
  }

  @Test
  void headerIsLaidOutAsTheReferenceWritesIt() throws Exception {
    List<OutputTensor> layout =
        List.of(OutputTensor.of("b", DType.FLOAT32, 2), OutputTensor.of("a", DType.INT8, 1, 3));
    byte[] file = write(layout, Map.of("format", "pt"));
    String json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"a\":{\"dtype\":\"I8\",\"shape\":[1,3],\"data_offsets\":[8,11]}}";
    int padded = (json.length() + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(head.getLong(0)).isEqualTo(padded);
    assertThat(new String(file, 8, padded, StandardCharsets.UTF_8))
        .isEqualTo(json + " ".repeat(padded - json.length()));
    assertThat(file.length).isEqualTo(8 + padded + 11);
    assertThat((8 + padded) % 8).isZero();
  }

  @Test
  void noMetadataAndNoTensorsGivesAnEmptyObject() throws Exception {
    byte[] file = write(List.of(), null);
    assertThat(new String(file, 8, file.length - 8, StandardCharsets.UTF_8)).isEqualTo("{}      ");
    CheckpointIndex index =
        CheckpointReader.read(new BytesChannel(file), null, null, ReadLimits.defaults());
    assertThat(index.tensors()).isEmpty();
    assertThat(index.metadata()).isEmpty();
  }

  @Test
  void zeroDimAndEmptyTensorsKeepTheirOrder() throws Exception {
    List<OutputTensor> layout =
        List.of(
            OutputTensor.of("empty.first", DType.FLOAT32, 0),
            OutputTensor.of("scalar", DType.INT64),
            OutputTensor.of("empty.mid", DType.BFLOAT16, 3, 0, 2),
            OutputTensor.of("empty.mid2", DType.BOOL, 0),
            OutputTensor.of("vector", DType.FLOAT16, 5),
            OutputTensor.of("empty.last", DType.INT8, 0));
    WriterFixtures.readBack(write(layout, Map.of()), CheckpointFormat.SAFETENSORS, layout, 0);
  }

  @Test
  void manyTensorsRoundTrip() throws Exception {
    List<OutputTensor> layout = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      layout.add(OutputTensor.of("layers." + i + ".weight", DType.FLOAT32, i % 4, 3));
    }
    WriterFixtures.readBack(write(layout, Map.of()), CheckpointFormat.SAFETENSORS, layout, 0);
  }

  @Test
  void streamsATensorInChunksIntoAFileChannel(@TempDir Path dir) throws Exception {
    List<OutputTensor> layout =
        List.of(OutputTensor.of("big", DType.FLOAT64, 1000), OutputTensor.of("s", DType.INT32));
    Path path = dir.resolve("out.safetensors");
    try (FileChannel ch =
        FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      SafetensorsWriter w = SafetensorsWriter.open(ch, layout, Map.of());
      byte[] big = data(layout.get(0), 0);
      WritableByteChannel t = w.next("big");
      for (int at = 0; at < big.length; at += 999) {
        t.write(ByteBuffer.wrap(big, at, Math.min(999, big.length - at)));
      }
      // Not closed: next() closes it after checking the count.
      w.next("s").write(ByteBuffer.wrap(data(layout.get(1), 0)));
      w.finish();
    }
    WriterFixtures.readBack(
        java.nio.file.Files.readAllBytes(path), CheckpointFormat.SAFETENSORS, layout, 0);
  }

  @Test
  void refusesBytesOfTheWrongSize() throws Exception {
    List<OutputTensor> layout = List.of(OutputTensor.of("w", DType.FLOAT32, 2, 2));
    WriterFixtures.Sink sink = new WriterFixtures.Sink();
    SafetensorsWriter w = SafetensorsWriter.open(sink.channel, layout, Map.of());
    long before = w.bytesWritten();
    assertThatThrownBy(() -> w.write("w", ByteBuffer.allocate(15)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'w'")
        .hasMessageContaining("needs exactly 16 bytes but got 15");
    assertThat(w.bytesWritten()).isEqualTo(before);
    // The writer is unusable afterwards.
    assertThatThrownBy(() -> w.write("w", ByteBuffer.allocate(16)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("failed earlier");
  }

  @Test
  void refusesTooManyBytesThroughTheChannel() throws Exception {
    SafetensorsWriter w =
        SafetensorsWriter.open(
            new WriterFixtures.Sink().channel,
            List.of(OutputTensor.of("w", DType.INT16, 3)),
            Map.of());
    WritableByteChannel ch = w.next("w");
    ch.write(ByteBuffer.allocate(4));
    assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(4)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'w'")
        .hasMessageContaining("needs exactly 6 bytes");
  }

  @Test
  void refusesTooFewBytesWhenTheTensorEnds() throws Exception {
    SafetensorsWriter w =
        SafetensorsWriter.open(
            new WriterFixtures.Sink().channel,
            List.of(OutputTensor.of("a", DType.INT16, 3), OutputTensor.of("b", DType.INT8, 1)),
            Map.of());
    w.next("a").write(ByteBuffer.allocate(4));
    assertThatThrownBy(() -> w.next("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'a'")
        .hasMessageContaining("needs exactly 6 bytes but got 4");
  }

  @Test
  void refusesKeysOutOfOrder() throws Exception {
    List<OutputTensor> layout =
        List.of(OutputTensor.of("a", DType.INT8, 1), OutputTensor.of("b", DType.INT8, 1));
    SafetensorsWriter w = SafetensorsWriter.open(new WriterFixtures.Sink().channel, layout, null);
    assertThatThrownBy(() -> w.write("b", ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected tensor 'a'")
        .hasMessageContaining("got 'b', which comes elsewhere");
    SafetensorsWriter w2 = SafetensorsWriter.open(new WriterFixtures.Sink().channel, layout, null);
    assertThatThrownBy(() -> w2.write("zzz", ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not in the layout");
  }

  @Test
  void refusesMissingTensorsAtFinish() throws Exception {
    List<OutputTensor> layout =
        List.of(OutputTensor.of("a", DType.INT8, 1), OutputTensor.of("b", DType.INT8, 1));
    SafetensorsWriter w = SafetensorsWriter.open(new WriterFixtures.Sink().channel, layout, null);
    w.write("a", ByteBuffer.allocate(1));
    assertThatThrownBy(w::finish)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("1 of 2 tensors missing")
        .hasMessageContaining("'b'");
  }

  @Test
  void refusesExtraTensorsAndUseAfterFinish() throws Exception {
    List<OutputTensor> layout = List.of(OutputTensor.of("a", DType.INT8, 1));
    SafetensorsWriter w = SafetensorsWriter.open(new WriterFixtures.Sink().channel, layout, null);
    w.write("a", ByteBuffer.allocate(1));
    assertThatThrownBy(() -> w.write("a", ByteBuffer.allocate(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("after all 1 tensors");
    SafetensorsWriter w2 = SafetensorsWriter.open(new WriterFixtures.Sink().channel, layout, null);
    w2.write("a", ByteBuffer.allocate(1));
    w2.finish();
    assertThatThrownBy(w2::finish).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesLayoutsSafetensorsCannotHold() {
    WriterFixtures.Sink sink = new WriterFixtures.Sink();
    assertThatThrownBy(
            () ->
                SafetensorsWriter.open(
                    sink.channel, List.of(OutputTensor.of("f8", DType.FLOAT8_E4M3FNUZ, 2)), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'f8'")
        .hasMessageContaining("float8_e4m3fnuz");
    assertThatThrownBy(
            () ->
                SafetensorsWriter.open(
                    sink.channel, List.of(OutputTensor.of("__metadata__", DType.INT8)), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                SafetensorsWriter.open(
                    sink.channel,
                    List.of(OutputTensor.of("a", DType.INT8), OutputTensor.of("a", DType.INT8)),
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
    assertThatThrownBy(
            () ->
                SafetensorsWriter.open(
                    sink.channel, List.of(), Map.of("note", "half a pair \udc00")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> OutputTensor.of("bad\ud800", DType.INT8))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OutputTensor.of("neg", DType.INT8, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(sink.toByteArray()).isEmpty();
  }

  @Test
  void torchReadsWhatWasWritten(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(WriterFixtures.torchAvailable(), WriterFixtures.NEEDS_TORCH);
    List<OutputTensor> layout =
        new ArrayList<>(WriterFixtures.everyDtype(WriterFixtures.TORCH_113_DTYPES));
    layout.add(OutputTensor.of("scalar.bf16", DType.BFLOAT16));
    layout.add(OutputTensor.of("empty.bool", DType.BOOL, 0, 4));
    layout.add(OutputTensor.of("ids", DType.INT64, 3, 5));
    Map<String, String> meta = Map.of("format", "pt", "source", "graft");
    Path path = dir.resolve("out.safetensors");
    java.nio.file.Files.write(path, write(layout, meta, 7));
    WriterFixtures.runTorchCheck(
        dir, "{\"files\":[" + WriterFixtures.fileSpec(path, "safetensors", layout, 7, meta) + "]}");
  }

  private static byte[] write(List<OutputTensor> layout, Map<String, String> meta)
      throws Exception {
    return write(layout, meta, 0);
  }

  private static byte[] write(List<OutputTensor> layout, Map<String, String> meta, long seed)
      throws Exception {
    WriterFixtures.Sink sink = new WriterFixtures.Sink();
    WriterFixtures.writeAll(SafetensorsWriter.open(sink.channel, layout, meta), seed);
    return sink.toByteArray();
  }
}
