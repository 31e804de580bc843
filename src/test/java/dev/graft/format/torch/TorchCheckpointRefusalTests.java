package dev.graft.format.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.Bytes;
import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.Hostile;
import dev.graft.format.PickleBuilder;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.ZipBuilder;
import dev.graft.format.read.CheckpointReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import org.junit.jupiter.api.Test;

/** Hand-built torch archives that Graft must refuse, or read exactly. */
class TorchCheckpointRefusalTests {

  private static final ReadLimits LIMITS = ReadLimits.defaults();

  /** {@code {key: tensor}} as torch writes it, with the tensor's parts given by the test. */
  private static PickleBuilder stateDict(
      String key,
      String cls,
      String storageKey,
      long numel,
      long offset,
      long[] size,
      long[] stride) {
    PickleBuilder b = PickleBuilder.proto2().orderedDict().mark().str(key);
    b.tensor(cls, storageKey, numel, offset, size, stride);
    return b.setitems().stop();
  }

  private static CheckpointIndex read(byte[] file) throws IOException {
    return CheckpointReader.read(Bytes.channel(file), null, null, LIMITS);
  }

  private static void assertRefused(byte[] file, FormatException.Kind kind, String... parts) {
    assertThatThrownBy(() -> read(file))
        .isInstanceOf(FormatException.class)
        .satisfies(e -> assertThat(((FormatException) e).kind()).isEqualTo(kind))
        .hasMessageContainingAll(parts);
  }

  private static byte[] zip(PickleBuilder pickle, String record, byte[] data) {
    return new ZipBuilder()
        .add("archive/data.pkl", pickle.build())
        .add("archive/" + record, data)
        .add("archive/version", "3\n")
        .build();
  }

  private static byte[] floats(int n) {
    return new byte[n * 4];
  }

  @Test
  void shouldReadAHandBuiltArchive() throws IOException {
    byte[] file =
        zip(
            stateDict("fc.weight", "FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1}),
            "data/0",
            floats(6));

    CheckpointIndex index = read(file);

    assertThat(index.stateDictPath()).isEmpty();
    TensorInfo t = index.tensors().get(0);
    assertThat(t.key()).isEqualTo("fc.weight");
    assertThat(t.storageBytes()).isEqualTo(24);
    assertThat(t.storageDataOffset() % 64).isZero();
  }

  @Test
  void shouldRefuseStorageRecordLargerThanDeclared() {
    byte[] file =
        zip(
            stateDict("w", "FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1}),
            "data/0",
            floats(7));
    assertRefused(
        file,
        FormatException.Kind.MALFORMED,
        "storage record 'data/0' holds 28 bytes but tensor 'w' declares 6 float32 elements (24"
            + " bytes)");
  }

  @Test
  void shouldRefuseStorageRecordSmallerThanDeclared() {
    byte[] file =
        zip(
            stateDict("w", "FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1}),
            "data/0",
            floats(5));
    assertRefused(
        file, FormatException.Kind.MALFORMED, "holds 20 bytes but tensor 'w' declares 6 float32");
  }

  @Test
  void shouldRefuseOffsetPastTheEndOfStorage() {
    byte[] file =
        zip(
            stateDict("fc.weight", "FloatStorage", "7", 4, 1028, new long[] {4}, new long[] {1}),
            "data/7",
            floats(4));
    assertRefused(
        file,
        FormatException.Kind.MALFORMED,
        "tensor 'fc.weight' points 4112 bytes past the end of storage 'data/7'");
  }

  @Test
  void shouldRefuseStridePastTheEndOfStorage() {
    byte[] file =
        zip(
            stateDict("w", "FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {4, 1}),
            "data/0",
            floats(6));
    assertRefused(
        file,
        FormatException.Kind.MALFORMED,
        "tensor 'w' points 4 bytes past the end of storage 'data/0'");
  }

  @Test
  void shouldRefuseNegativeSize() {
    byte[] file =
        zip(
            stateDict("w", "FloatStorage", "0", 6, 0, new long[] {-1}, new long[] {1}),
            "data/0",
            floats(6));
    assertRefused(
        file, FormatException.Kind.MALFORMED, "tensor 'w' has negative size -1 in dimension 0");
  }

  @Test
  void shouldRefuseOverflowingSizes() {
    long big = 1L << 62;
    PickleBuilder b = PickleBuilder.proto2().orderedDict().mark().str("w");
    b.global("torch._utils", "_rebuild_tensor_v2")
        .mark()
        .storage("FloatStorage", "0", 6)
        .integer(0);
    b.mark().op(0x8a).raw(8).raw(le64(big)).op(0x8a).raw(8).raw(le64(big)).tuple();
    b.ints(0, 0).bool(false).orderedDict().tuple().reduce().setitems().stop();
    assertRefused(
        zip(b, "data/0", floats(6)),
        FormatException.Kind.MALFORMED,
        "tensor 'w' has sizes or strides whose extent overflows");
  }

  private static byte[] le64(long v) {
    return java.nio.ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  @Test
  void shouldRefuseOneRecordClaimedWithTwoDtypes() {
    PickleBuilder b = PickleBuilder.proto2().orderedDict().mark();
    b.str("a").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
    b.str("b").tensor("IntStorage", "0", 2, 0, new long[] {2}, new long[] {1});
    b.setitems().stop();
    assertRefused(
        zip(b, "data/0", floats(2)),
        FormatException.Kind.UNSAFE,
        "storage record 'data/0' is claimed as both float32 and int32");
  }

  @Test
  void shouldRefuseMissingStorageRecord() {
    byte[] file =
        zip(
            stateDict("fc.weight", "FloatStorage", "7", 2, 0, new long[] {2}, new long[] {1}),
            "data/0",
            floats(2));
    assertRefused(
        file,
        FormatException.Kind.MALFORMED,
        "tensor 'fc.weight' refers to missing storage record 'data/7'");
  }

  @Test
  void shouldRefuseCompressedStorageRecord() {
    ZipBuilder z =
        new ZipBuilder()
            .add(
                "archive/data.pkl",
                stateDict("w", "FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).build())
            .add("archive/data/0", floats(2));
    z.last().method = 8;
    assertRefused(
        z.build(), FormatException.Kind.UNSUPPORTED, "'archive/data/0' is compressed (method 8");
  }

  @Test
  void shouldRefuseCompressedDataPkl() {
    ZipBuilder z =
        new ZipBuilder().add("archive/data.pkl", PickleBuilder.proto2().emptyDict().stop().build());
    z.last().method = 8;
    assertRefused(z.build(), FormatException.Kind.UNSUPPORTED, "'archive/data.pkl' is compressed");
  }

  @Test
  void shouldRefuseGlobalInDataPkl() {
    PickleBuilder b =
        PickleBuilder.proto2().global("posix", "system").str("id").op(0x85).reduce().stop();
    assertRefused(
        zip(b, "data/0", floats(1)),
        FormatException.Kind.UNSAFE,
        "global 'posix.system' is not allowed (at pickle offset 2)");
  }

  @Test
  void shouldRefuseTensorsOverTheLimit() {
    ReadLimits one = new ReadLimits(10, 1 << 20, 1000, 100, 100, 10, 100, 1, 4, 100, 100, 100);
    PickleBuilder b = PickleBuilder.proto2().orderedDict().mark();
    b.str("a").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
    b.str("b").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
    byte[] file = zip(b.setitems().stop(), "data/0", floats(2));
    assertThatThrownBy(() -> CheckpointReader.read(Bytes.channel(file), null, null, one))
        .hasMessageContaining("state dict holds 2 tensors, more than the limit of 1");
  }

  @Test
  void shouldRefuseNonStringKeyInStateDict() {
    PickleBuilder b = PickleBuilder.proto2().orderedDict().mark().integer(5);
    b.tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).setitems().stop();
    assertRefused(
        zip(b, "data/0", floats(2)),
        FormatException.Kind.MALFORMED,
        "state dict key is a int, not a str");
  }

  @Test
  void shouldFollowAGivenStateDictPath() throws IOException {
    PickleBuilder b = PickleBuilder.proto2().emptyDict().mark().str("ema").emptyDict().str("w");
    b.tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).setitem();
    b.str("note").str("x").setitems().stop();
    byte[] file = zip(b, "data/0", floats(2));

    CheckpointIndex index =
        CheckpointReader.read(Bytes.channel(file), CheckpointFormat.PYTORCH, "ema", LIMITS);

    assertThat(index.stateDictPath()).isEqualTo("ema");
    assertThat(index.metadata()).containsEntry("note", "x");
    assertThatThrownBy(() -> CheckpointReader.read(Bytes.channel(file), null, "ema.nope", LIMITS))
        .hasMessageContaining("stateDictPath 'ema.nope' does not exist: no key 'nope'");
  }

  @Test
  void shouldRefuseCheckpointWithoutStateDict() {
    PickleBuilder b = PickleBuilder.proto2().emptyDict().str("epoch").integer(3).setitem().stop();
    assertRefused(
        zip(b, "data/0", floats(1)),
        FormatException.Kind.MALFORMED,
        "no state dict found",
        "'epoch'");
  }

  @Test
  void shouldSwapBigEndianElements() throws IOException {
    byte[] file =
        new ZipBuilder()
            .add(
                "archive/data.pkl",
                stateDict("w", "IntStorage", "0", 2, 0, new long[] {2}, new long[] {1}).build())
            .add("archive/byteorder", "big")
            .add("archive/data/0", new byte[] {0, 0, 0, 1, 0, 0, 1, 0})
            .build();

    TensorInfo t = read(file).tensors().get(0);

    assertThat(t.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(TensorData.readContiguous(Bytes.channel(file), t))
        .containsExactly(1, 0, 0, 0, 0, 1, 0, 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TensorData.copyContiguous(Bytes.channel(file), t, Channels.newChannel(out));
    assertThat(out.toByteArray()).containsExactly(1, 0, 0, 0, 0, 1, 0, 0);
  }

  @Test
  void shouldRefuseLegacyFormat() {
    byte[] legacy = {
      (byte) 0x80,
      2,
      (byte) 0x8a,
      0x0a,
      0x6c,
      (byte) 0xfc,
      (byte) 0x9c,
      0x46,
      (byte) 0xf9,
      0x20,
      0x6a,
      (byte) 0xa8,
      0x50,
      0x19,
      '.',
      (byte) 0x80,
      2
    };
    assertRefused(
        legacy,
        FormatException.Kind.UNSUPPORTED,
        "legacy torch.save file (pre-1.6 format)",
        "_use_new_zipfile_serialization=True");
  }

  @Test
  void shouldRefuseTorchScriptArchive() {
    byte[] file =
        new ZipBuilder()
            .add("model/data.pkl", PickleBuilder.proto2().none().stop().build())
            .add("model/constants.pkl", PickleBuilder.proto2().emptyTuple().stop().build())
            .add("model/code/__torch__.py", "def forward(self): ...")
            .build();
    assertRefused(file, FormatException.Kind.UNSUPPORTED, "TorchScript archive (torch.jit.save)");
  }

  @Test
  void shouldRefuseAPickleWithAZipAppended() {
    byte[] file =
        new ZipBuilder()
            .prefix(PickleBuilder.proto2().none().stop().build())
            .add("archive/data.pkl", PickleBuilder.proto2().emptyDict().stop().build())
            .build();
    assertRefused(file, FormatException.Kind.UNSUPPORTED, "bare pickle");
  }

  @Test
  void shouldRefuseSomethingElse() {
    assertRefused(
        "hello world, not a model".getBytes(),
        FormatException.Kind.MALFORMED,
        "not a checkpoint: expected a torch.save zip or safetensors file (first bytes 68 65 6c 6c");
  }

  @Test
  void shouldRefuseAFormatHintThatDoesNotMatch() {
    byte[] file =
        zip(
            stateDict("w", "FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}),
            "data/0",
            floats(2));
    assertThatThrownBy(
            () ->
                CheckpointReader.read(
                    Bytes.channel(file), CheckpointFormat.SAFETENSORS, null, LIMITS))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("expected a safetensors file, but this is a pytorch file");
  }

  @Test
  void shouldDelegateSafetensorsHeaders() throws Exception {
    byte[] file = Bytes.concat(new byte[] {2, 0, 0, 0, 0, 0, 0, 0}, "{}".getBytes());
    assertThat(CheckpointReader.read(Bytes.channel(file), null, null, LIMITS).format())
        .isEqualTo(CheckpointFormat.SAFETENSORS);
  }

  @Test
  void shouldRefuseAKeyWithNulNamingIt() {
    byte[] file =
        zip(
            stateDict("fc\0weight", "FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}),
            "data/0",
            floats(1));
    assertRefused(
        file, FormatException.Kind.MALFORMED, "state dict key 'fc\\u0000weight' contains U+0000");
  }

  @Test
  void shouldRefuseAKeyLongerThanTheIndexTakesCountingUtf8Bytes() throws IOException {
    // 600 characters, 1,200 bytes: over the 1,024-byte limit although under it in characters.
    String key = "\u00e9".repeat(600);
    byte[] file =
        zip(
            stateDict(key, "FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}),
            "data/0",
            floats(1));
    Hostile.refused(() -> read(file), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("is 1200 bytes in UTF-8, more than the limit of 1024")
        .hasMessageContaining("state dict key '\\u00e9\\u00e9");

    String fits = "\u00e9".repeat(512);
    byte[] ok =
        zip(
            stateDict(fits, "FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}),
            "data/0",
            floats(1));
    assertThat(read(ok).tensors()).extracting(TensorInfo::key).containsExactly(fits);
  }

  @Test
  void shouldRefuseAStorageRecordWhoseCrcDoesNotMatchItsBytes() {
    ZipBuilder z =
        new ZipBuilder()
            .add(
                "archive/data.pkl",
                stateDict("w", "FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).build())
            .add("archive/data/0", floats(1))
            .add("archive/version", "3\n");
    z.entries().get(1).crc = 0xdeadbeef;
    Hostile.refused(() -> read(z.build()), FormatException.Kind.MALFORMED)
        .hasMessageContaining("zip entry 'archive/data/0' has CRC-32 2144df1c")
        .hasMessageContaining("but its headers declare deadbeef");
  }
}
