package dev.graft.format.torch;

import static dev.graft.format.WriterFixtures.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.BytesChannel;
import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.OutputTensor;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.WriterFixtures;
import dev.graft.format.pickle.PickleEmitter;
import dev.graft.format.read.CheckpointReader;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

class TorchStateDictWriterTests {

  @Test
  void everyDtypeRoundTripsThroughTheReader() throws Exception {
    List<OutputTensor> layout = WriterFixtures.everyDtype(WriterFixtures.TORCH_113_DTYPES);
    byte[] file = write(layout, 3);
    CheckpointIndex index = WriterFixtures.readBack(file, CheckpointFormat.PYTORCH, layout, 3);
    assertThat(index.stateDictPath()).isEmpty();
    for (TensorInfo t : index.tensors()) {
      assertThat(t.parameter()).isFalse();
      assertThat(t.storageOffset()).isZero();
    }
  }

  @Test
  void refusesDtypesTorchHasNoStorageClassFor() {
    for (DType d : DType.values()) {
      if (WriterFixtures.TORCH_113_DTYPES.contains(d)) {
        continue;
      }
      WriterFixtures.Sink sink = new WriterFixtures.Sink();
      assertThatThrownBy(
              () -> TorchStateDictWriter.open(sink.channel, List.of(OutputTensor.of("x", d, 2))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'x'")
          .hasMessageContaining(d.torchName())
          .hasMessageContaining("safetensors");
      assertThat(sink.toByteArray()).isEmpty();
    }
  }

  @Test
  void zeroDimAndEmptyTensorsRoundTrip() throws Exception {
    List<OutputTensor> layout =
        List.of(
            OutputTensor.of("empty.first", DType.FLOAT32, 0),
            OutputTensor.of("scalar", DType.INT64),
            OutputTensor.of("empty.mid", DType.BFLOAT16, 3, 0, 2),
            OutputTensor.of("vector", DType.FLOAT16, 5),
            OutputTensor.of("empty.last", DType.BOOL, 0));
    WriterFixtures.readBack(write(layout, 0), CheckpointFormat.PYTORCH, layout, 0);
  }

  @Test
  void manyTensorsRoundTrip() throws Exception {
    WriterFixtures.readBack(write(many(2500), 0), CheckpointFormat.PYTORCH, many(2500), 0);
  }

  @Test
  void recordsAreLaidOutAsTorchSaveWritesThem() throws Exception {
    List<OutputTensor> layout = WriterFixtures.everyDtype(WriterFixtures.TORCH_113_DTYPES);
    byte[] file = write(layout, 5);
    TorchZip zip = TorchZip.open(new BytesChannel(file), ReadLimits.defaults());
    assertThat(zip.root()).isEqualTo("archive");
    List<String> names = new ArrayList<>(List.of("archive/data.pkl", "archive/byteorder"));
    for (int i = 0; i < layout.size(); i++) {
      names.add("archive/data/" + i);
    }
    names.add("archive/version");
    assertThat(zip.entries()).extracting(TorchZipEntry::name).isEqualTo(names);
    for (TorchZipEntry e : zip.entries()) {
      assertThat(e.stored()).isTrue();
      assertThat(e.dataOffset() % 64).as("alignment of %s", e.name()).isZero();
      // Bit 11 (UTF-8) always; bit 3 (data descriptor) for records with data, as miniz sets it.
      assertThat(e.flags()).isEqualTo(e.size() > 0 ? 0x0808 : 0x0800);
    }
    assertThat(zip.readStored(new BytesChannel(file), zip.find("version").orElseThrow(), 10))
        .isEqualTo("3\n".getBytes());
    assertThat(zip.readStored(new BytesChannel(file), zip.find("byteorder").orElseThrow(), 10))
        .isEqualTo("little".getBytes());
    // The local header has torch's FB padding field right after the name.
    int nameLen = "archive/data.pkl".length();
    assertThat(new String(file, 30 + nameLen, 2)).isEqualTo("FB");
    // Every end record torch writes: ZIP64 end record, locator, end record.
    ByteBuffer tail = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(tail.getInt(file.length - 22)).isEqualTo(0x06054b50);
    assertThat(tail.getInt(file.length - 42)).isEqualTo(0x07064b50);
    assertThat(tail.getInt(file.length - 98)).isEqualTo(0x06064b50);
  }

  @Test
  void crcsAreRightForEveryRecord(@TempDir Path dir) throws Exception {
    checkCrcs(dir, write(many(50), 1), "plain.pt");
  }

  @Test
  void pickleIsTheOneTorch113Writes() throws Exception {
    byte[] golden;
    try (InputStream in =
        new GZIPInputStream(
            getClass().getResourceAsStream("/format/torch_state_dict_golden.pkl.gz"))) {
      golden = in.readAllBytes();
    }
    assertThat(HexFormat.of().formatHex(TorchStateDictWriter.pickle(goldenLayout())))
        .isEqualTo(HexFormat.of().formatHex(golden));
  }

  @Test
  void emptyStateDictPicklesAsTorchWritesIt() throws Exception {
    // torch.save(OrderedDict()) in torch 1.13.
    assertThat(HexFormat.of().formatHex(TorchStateDictWriter.pickle(List.of())))
        .isEqualTo("800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012e");
    byte[] file = write(List.of(), 0);
    assertThat(
            CheckpointReader.read(new BytesChannel(file), null, null, ReadLimits.defaults())
                .tensors())
        .isEmpty();
  }

  @Test
  void largeIntegersUseLong1AsPickleDoes() {
    // pickle.dumps(n, 2)[2:-1] for each n.
    assertThat(hex(new PickleEmitter().integer(255))).isEqualTo("4bff");
    assertThat(hex(new PickleEmitter().integer(256))).isEqualTo("4d0001");
    assertThat(hex(new PickleEmitter().integer(65536))).isEqualTo("4a00000100");
    assertThat(hex(new PickleEmitter().integer(1L << 31))).isEqualTo("8a050000008000");
    assertThat(hex(new PickleEmitter().integer(1L << 40))).isEqualTo("8a06000000000001");
    assertThat(hex(new PickleEmitter().integer(Long.MAX_VALUE))).isEqualTo("8a08ffffffffffffff7f");
  }

  @Test
  void zip64RecordsReadBack(@TempDir Path dir) throws Exception {
    List<OutputTensor> layout = WriterFixtures.everyDtype(WriterFixtures.TORCH_113_DTYPES);
    for (long threshold : new long[] {0, 100, 1000}) {
      byte[] file = writeZip64(layout, threshold);
      WriterFixtures.readBack(file, CheckpointFormat.PYTORCH, layout, 9);
      TorchZip zip = TorchZip.open(new BytesChannel(file), ReadLimits.defaults());
      for (TorchZipEntry e : zip.entries()) {
        assertThat(e.dataOffset() % 64).isZero();
      }
      checkCrcs(dir, file, "zip64-" + threshold + ".pt");
    }
    // With every size and offset over the threshold, the end record defers to the ZIP64 one.
    byte[] all = writeZip64(layout, 0);
    ByteBuffer tail = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(tail.getInt(all.length - 22 + 12)).isEqualTo(-1);
    assertThat(tail.getInt(all.length - 22 + 16)).isEqualTo(-1);
  }

  @Test
  void writesToAFileChannelInChunks(@TempDir Path dir) throws Exception {
    List<OutputTensor> layout =
        List.of(OutputTensor.of("big", DType.FLOAT32, 3000), OutputTensor.of("s", DType.INT8));
    Path path = dir.resolve("out.pt");
    try (FileChannel ch =
        FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      TorchStateDictWriter w = TorchStateDictWriter.open(ch, layout);
      byte[] big = data(layout.get(0), 0);
      try (WritableByteChannel t = w.next("big")) {
        for (int at = 0; at < big.length; at += 777) {
          t.write(ByteBuffer.wrap(big, at, Math.min(777, big.length - at)));
        }
      }
      w.write("s", ByteBuffer.wrap(data(layout.get(1), 0)));
      w.finish();
      assertThat(w.bytesWritten()).isEqualTo(ch.size());
    }
    WriterFixtures.readBack(Files.readAllBytes(path), CheckpointFormat.PYTORCH, layout, 0);
    checkCrcs(dir, Files.readAllBytes(path), "again.pt");
  }

  @Test
  void refusesWrongSizesOrderAndMissingTensors() throws Exception {
    List<OutputTensor> layout =
        List.of(OutputTensor.of("a", DType.INT64, 2), OutputTensor.of("b", DType.BOOL, 3));
    TorchStateDictWriter w1 = TorchStateDictWriter.open(new WriterFixtures.Sink().channel, layout);
    assertThatThrownBy(() -> w1.write("a", ByteBuffer.allocate(17)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'a'")
        .hasMessageContaining("needs exactly 16 bytes but got 17");

    TorchStateDictWriter w2 = TorchStateDictWriter.open(new WriterFixtures.Sink().channel, layout);
    assertThatThrownBy(() -> w2.write("b", ByteBuffer.allocate(3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected tensor 'a'");

    TorchStateDictWriter w3 = TorchStateDictWriter.open(new WriterFixtures.Sink().channel, layout);
    w3.write("a", ByteBuffer.allocate(16));
    assertThatThrownBy(w3::finish)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'b'");

    TorchStateDictWriter w4 = TorchStateDictWriter.open(new WriterFixtures.Sink().channel, layout);
    WritableByteChannel ch = w4.next("a");
    ch.write(ByteBuffer.allocate(8));
    assertThatThrownBy(ch::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs exactly 16 bytes but got 8");
    assertThatThrownBy(() -> w4.next("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("failed earlier");

    assertThatThrownBy(
            () ->
                TorchStateDictWriter.open(
                    new WriterFixtures.Sink().channel,
                    List.of(OutputTensor.of("a", DType.INT8), OutputTensor.of("a", DType.INT8))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void torchLoadsWhatWasWritten(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(WriterFixtures.torchAvailable(), WriterFixtures.NEEDS_TORCH);
    List<String> specs = new ArrayList<>();

    List<OutputTensor> dtypes =
        new ArrayList<>(WriterFixtures.everyDtype(WriterFixtures.TORCH_113_DTYPES));
    dtypes.add(OutputTensor.of("scalar.bf16", DType.BFLOAT16));
    dtypes.add(OutputTensor.of("scalar.bool", DType.BOOL));
    dtypes.add(OutputTensor.of("ids", DType.INT64, 3, 5));
    dtypes.add(OutputTensor.of("mask", DType.BOOL, 2, 3));
    dtypes.add(OutputTensor.of("emb", DType.BFLOAT16, 4, 3));
    dtypes.add(OutputTensor.of("empty", DType.FLOAT32, 0, 3));
    dtypes.add(OutputTensor.of("ключ.é", DType.FLOAT32, 2));
    specs.add(spec(dir, "dtypes.pt", write(dtypes, 11), dtypes, 11));
    specs.add(spec(dir, "zip64.pt", writeZip64(dtypes, 11, 0), dtypes, 11));
    specs.add(spec(dir, "zip64-mixed.pt", writeZip64(dtypes, 11, 200), dtypes, 11));
    specs.add(spec(dir, "many.pt", write(many(1001), 0), many(1001), 0));

    float[] weight = {0.5f, -1f, 2f, 0.25f, 3f, -0.75f};
    float[] bias = {1.5f, -2f};
    Path linear = dir.resolve("linear.pt");
    try (FileChannel ch =
        FileChannel.open(linear, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      TorchStateDictWriter w =
          TorchStateDictWriter.open(
              ch,
              List.of(
                  OutputTensor.of("weight", DType.FLOAT32, 2, 3),
                  OutputTensor.of("bias", DType.FLOAT32, 2)));
      w.write("weight", floats(weight));
      w.write("bias", floats(bias));
      w.finish();
    }
    String json =
        "{\"files\":["
            + String.join(",", specs)
            + "],\"linear\":{\"path\":\""
            + linear
            + "\",\"weight\":[[0.5,-1,2],[0.25,3,-0.75]],\"bias\":[1.5,-2]}}";
    WriterFixtures.runTorchCheck(dir, json);
  }

  /**
   * A real file over 4 GiB: a 4 GiB + 100 byte tensor (ZIP64 sizes) and records after it (ZIP64
   * offsets). Slow and needs ~5 GB of disk and ~10 GB of memory for torch, so it runs only with
   * {@code -Dgraft.test.bigZip64=true}.
   */
  @Test
  @EnabledIfSystemProperty(named = "graft.test.bigZip64", matches = "true")
  void realZip64FileLoads(@TempDir Path dir) throws Exception {
    long bigSize = (1L << 32) + 100;
    List<OutputTensor> layout =
        List.of(
            OutputTensor.of("big", DType.UINT8, bigSize),
            OutputTensor.of("after", DType.FLOAT32, 2));
    Path path = dir.resolve("big.pt");
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (FileChannel ch =
        FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      TorchStateDictWriter w = TorchStateDictWriter.open(ch, layout);
      byte[] chunk = new byte[8 << 20];
      try (WritableByteChannel t = w.next("big")) {
        for (long at = 0; at < bigSize; at += chunk.length) {
          int n = (int) Math.min(chunk.length, bigSize - at);
          for (int i = 0; i < n; i++) {
            chunk[i] = (byte) ((at + i) % 251);
          }
          sha.update(chunk, 0, n);
          t.write(ByteBuffer.wrap(chunk, 0, n));
        }
      }
      w.write("after", floats(new float[] {1.5f, -2f}));
      w.finish();
      assertThat(ch.size()).isGreaterThan(bigSize);
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      CheckpointIndex index = CheckpointReader.read(ch, null, null, ReadLimits.defaults());
      assertThat(index.tensors()).extracting(TensorInfo::key).containsExactly("big", "after");
      assertThat(index.tensors().get(0).sizeBytes()).isEqualTo(bigSize);
      TensorInfo after = index.tensors().get(1);
      assertThat(after.storageDataOffset()).isGreaterThan(1L << 32);
      assertThat(TensorData.readContiguous(ch, after))
          .isEqualTo(floats(new float[] {1.5f, -2f}).array());
    }
    Assumptions.assumeTrue(WriterFixtures.torchAvailable(), WriterFixtures.NEEDS_TORCH);
    String json =
        "{\"files\":[{\"path\":\""
            + path
            + "\",\"format\":\"pt\",\"tensors\":["
            + "{\"key\":\"big\",\"dtype\":\"uint8\",\"shape\":["
            + bigSize
            + "],\"sha256\":\""
            + HexFormat.of().formatHex(sha.digest())
            + "\"},{\"key\":\"after\",\"dtype\":\"float32\",\"shape\":[2],\"sha256\":\""
            + WriterFixtures.sha256(floats(new float[] {1.5f, -2f}).array())
            + "\"}]}]}";
    WriterFixtures.runTorchCheck(dir, json);
  }

  /** The layout scripts/make_writer_golden.py saves with torch to make the golden pickle. */
  static List<OutputTensor> goldenLayout() {
    long[][] shapes = {{}, {0}, {2, 3}, {1, 0, 5}, {2, 2, 2, 2}};
    Map<Integer, long[]> special =
        Map.of(7, new long[] {70000}, 8, new long[] {300}, 9, new long[] {3, 100000});
    List<DType> dtypes = WriterFixtures.TORCH_113_DTYPES;
    List<OutputTensor> layout = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      layout.add(
          OutputTensor.of(
              "layer." + i + ".weight",
              dtypes.get(i % dtypes.size()),
              special.getOrDefault(i, shapes[i % shapes.length])));
    }
    return Collections.unmodifiableList(layout);
  }

  private static List<OutputTensor> many(int n) {
    List<OutputTensor> layout = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      layout.add(
          OutputTensor.of(
              "blocks." + i + ".w", i % 2 == 0 ? DType.FLOAT32 : DType.INT64, i % 3, 2));
    }
    return layout;
  }

  private static String spec(
      Path dir, String name, byte[] file, List<OutputTensor> layout, long seed) throws Exception {
    Path path = dir.resolve(name);
    Files.write(path, file);
    return WriterFixtures.fileSpec(path, "pt", layout, seed, Map.of());
  }

  /** Compares each record's CRC-32 in the central directory with one computed from its bytes. */
  private static void checkCrcs(Path dir, byte[] file, String name) throws Exception {
    Path path = dir.resolve(name);
    Files.write(path, file);
    try (ZipFile zip = new ZipFile(path.toFile())) {
      List<? extends ZipEntry> entries = Collections.list(zip.entries());
      assertThat(entries).isNotEmpty();
      for (ZipEntry e : entries) {
        byte[] bytes;
        try (InputStream in = zip.getInputStream(e)) {
          bytes = in.readAllBytes();
        }
        assertThat((long) bytes.length).isEqualTo(e.getSize());
        CRC32 crc = new CRC32();
        crc.update(bytes);
        assertThat(e.getCrc()).as("CRC of %s", e.getName()).isEqualTo(crc.getValue());
      }
    }
  }

  private static ByteBuffer floats(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.flip();
  }

  private static String hex(PickleEmitter p) {
    return HexFormat.of().formatHex(p.toByteArray());
  }

  private static byte[] write(List<OutputTensor> layout, long seed) throws Exception {
    WriterFixtures.Sink sink = new WriterFixtures.Sink();
    WriterFixtures.writeAll(TorchStateDictWriter.open(sink.channel, layout), seed);
    return sink.toByteArray();
  }

  private static byte[] writeZip64(List<OutputTensor> layout, long threshold) throws Exception {
    return writeZip64(layout, 9, threshold);
  }

  private static byte[] writeZip64(List<OutputTensor> layout, long seed, long threshold)
      throws Exception {
    WriterFixtures.Sink sink = new WriterFixtures.Sink();
    WriterFixtures.writeAll(TorchStateDictWriter.open(sink.channel, layout, threshold), seed);
    return sink.toByteArray();
  }
}
