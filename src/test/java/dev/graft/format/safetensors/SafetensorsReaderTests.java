package dev.graft.format.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.Bytes;
import dev.graft.format.BytesChannel;
import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.FormatException;
import dev.graft.format.FormatException.Kind;
import dev.graft.format.Hostile;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsReaderTests {

  private static final ReadLimits LIMITS = ReadLimits.defaults();

  // ---- real files written by scripts/make_fixtures.py ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "st_dtypes.safetensors",
        "st_small.safetensors",
        "st_no_tensors.safetensors",
        "st_header_len_0x80.safetensors"
      })
  void readsFixtureFilesAsTorchWroteThem(String name) throws Exception {
    Map<String, Object> expected = expectedEntry(name);
    Path file = Fixtures.conformance().resolve(name);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      CheckpointIndex index = SafetensorsReader.read(ch, LIMITS);

      assertThat(index.format()).isEqualTo(CheckpointFormat.SAFETENSORS);
      assertThat(index.stateDictPath()).isEmpty();
      assertThat(index.metadata()).isEqualTo(expected.get("metadata"));
      assertThat(index.moduleVersions()).isEmpty();
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> tensors = (List<Map<String, Object>>) expected.get("tensors");
      assertThat(index.tensors())
          .extracting(TensorInfo::key)
          .containsExactlyElementsOf(tensors.stream().map(t -> (String) t.get("key")).toList());
      for (int i = 0; i < tensors.size(); i++) {
        Map<String, Object> want = tensors.get(i);
        TensorInfo got = index.tensors().get(i);
        assertThat(got.dtype().torchName()).isEqualTo(want.get("dtype"));
        assertThat(got.shape()).isEqualTo(want.get("shape"));
        assertThat(got.numel()).isEqualTo(want.get("numel"));
        assertThat(got.requiresGrad()).isNull();
        assertThat(got.parameter()).isFalse();
        assertThat(got.storageKey()).isEqualTo(got.key());
        assertThat(got.storageOffset()).isZero();
        assertThat(got.byteOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        if (got.numel() > 0) {
          // TensorInfo.contiguous() does not treat empty tensors as contiguous the way torch does.
          assertThat(got.contiguous()).isTrue();
        }
        assertThat(got.storageBytes()).isEqualTo(got.sizeBytes());
        assertThat(sha256(ch, got.storageDataOffset(), got.storageBytes()))
            .as("element bytes of %s", got.key())
            .isEqualTo(want.get("sha256"));
      }
    }
  }

  @Test
  void coversBf16BoolZeroDimAndZeroSizeTensorsWithTorchStrides() throws Exception {
    try (FileChannel ch =
        FileChannel.open(
            Fixtures.conformance().resolve("st_small.safetensors"), StandardOpenOption.READ)) {
      Map<String, TensorInfo> byKey = byKey(SafetensorsReader.read(ch, LIMITS));
      assertThat(byKey.get("model.scale").shape()).isEmpty();
      assertThat(byKey.get("model.scale").numel()).isEqualTo(1);
      assertThat(byKey.get("model.empty").shape()).containsExactly(4L, 0L);
      assertThat(byKey.get("model.empty").strides()).containsExactly(1L, 1L);
      assertThat(byKey.get("model.empty").storageBytes()).isZero();
      assertThat(byKey.get("model.embed.weight").dtype()).isEqualTo(DType.BFLOAT16);
      assertThat(byKey.get("model.embed.weight").strides()).containsExactly(3L, 1L);
      assertThat(byKey.get("model.mask").dtype()).isEqualTo(DType.BOOL);
    }
  }

  @Test
  void listsTensorsInDataOffsetOrderNotHeaderOrder() throws Exception {
    byte[] file =
        file(
            "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
                + "\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"d\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}}",
            4);
    CheckpointIndex index = read(file);
    assertThat(index.tensors()).extracting(TensorInfo::key).containsExactly("a", "b", "e", "d");
    TensorInfo b = index.tensors().get(1);
    long n = headerLength(file);
    assertThat(b.storageDataOffset()).isEqualTo(8 + n + 2);
    assertThat(b.storageBytes()).isEqualTo(2);
  }

  @Test
  void acceptsHeaderPaddedWithTrailingSpacesAndNullMetadata() throws Exception {
    byte[] file =
        file(
            "{\"__metadata__\":null,\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}} "
                + "   ",
            4);
    CheckpointIndex index = read(file);
    assertThat(index.metadata()).isEmpty();
    assertThat(index.tensors()).hasSize(1);
  }

  // ---- refused files ----

  @Test
  void refusesHeaderLengthPastTheEndOfTheFile() {
    byte[] file = concat(u64(100), "{}".getBytes(StandardCharsets.UTF_8));
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("header length 100 at offset 0")
        .hasMessageContaining("past the end of the file (10 bytes)");
  }

  @Test
  void refusesHeaderLengthOverTheLimitBeforeAllocating() {
    // The channel claims 1 TiB, so only the limit check stands between the reader and a huge array.
    BytesChannel huge = new BytesChannel(u64(100_000_001L), 1L << 40);
    assertThatThrownBy(() -> SafetensorsReader.read(huge, LIMITS))
        .isInstanceOfSatisfying(
            FormatException.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT_EXCEEDED))
        .hasMessageContaining("header length 100000001 at offset 0 exceeds the limit of 100000000");
  }

  @Test
  void refusesHeaderLengthWithTheTopBitSetAsOverTheLimit() {
    assertRefused(u64(-1L), Kind.LIMIT_EXCEEDED).hasMessageContaining("18446744073709551615");
  }

  @Test
  void refusesFileShorterThanTheLengthField() {
    assertRefused(new byte[5], Kind.MALFORMED).hasMessageContaining("too short");
  }

  @Test
  void refusesGapBetweenTensorsNamingBoth() {
    byte[] file =
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
            12);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("gap of 4 bytes")
        .hasMessageContaining("data offset 4")
        .hasMessageContaining("after tensor 'a'")
        .hasMessageContaining("before tensor 'b'");
  }

  @Test
  void refusesGapBeforeTheFirstTensor() {
    byte[] file = file("{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("gap of 1 bytes")
        .hasMessageContaining("before the first tensor");
  }

  @Test
  void refusesOverlappingTensorsNamingBoth() {
    byte[] file =
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("tensor 'b' at data offsets [4, 12] overlaps tensor 'a' at [0, 8]");
  }

  @Test
  void refusesTrailingBytesAfterTheLastTensor() {
    byte[] file = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 7);
    long n = headerLength(file);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("3 trailing bytes")
        .hasMessageContaining("after tensor 'a'")
        .hasMessageContaining("file offset " + (8 + n + 4));
  }

  @Test
  void refusesDataSectionWithoutTensors() {
    assertRefused(file("{}", 1), Kind.MALFORMED).hasMessageContaining("1 trailing bytes");
  }

  @Test
  void refusesTensorEndingPastTheDataSection() {
    byte[] file = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining(
            "tensor 'a' data_offsets end 8 is past the end of the data section (4 bytes");
  }

  @Test
  void refusesUnknownDtypeNamingTensor() {
    byte[] file = file("{\"w\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    assertRefused(file, Kind.MALFORMED).hasMessageContaining("unknown dtype 'F7' for tensor 'w'");
  }

  @Test
  void refusesBrokenJsonWithTheByteOffset() {
    // '}' at header byte 7 where a key must follow the comma: file offset 8 + 7.
    byte[] file = file("{\"a\":1,}", 0);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("invalid JSON at byte 15")
        .hasMessageContaining("expected a string as object key");
  }

  @Test
  void refusesTruncatedJson() {
    assertRefused(file("{\"a\":{\"dtype\":", 0), Kind.MALFORMED)
        .hasMessageContaining("invalid JSON at byte 22")
        .hasMessageContaining("end of input");
  }

  @Test
  void refusesGarbageAfterTheJsonValue() {
    assertRefused(file("{} x", 0), Kind.MALFORMED)
        .hasMessageContaining("invalid JSON at byte 11")
        .hasMessageContaining("after the end");
  }

  @Test
  void refusesHeaderNotStartingWithABrace() {
    assertRefused(file(" {}", 0), Kind.MALFORMED).hasMessageContaining("must start with '{'");
    assertRefused(file("[]", 0), Kind.MALFORMED).hasMessageContaining("must start with '{'");
  }

  @Test
  void refusesInvalidUtf8InTheHeader() {
    byte[] header = {'{', '"', (byte) 0xc0, (byte) 0x80, '"', ':', '1', '}'};
    byte[] file = concat(u64(header.length), header);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("invalid UTF-8")
        .hasMessageContaining("at byte 10");
  }

  @Test
  void refusesDuplicateTensorKeys() {
    String t = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
    byte[] file = file("{\"a\":" + t + ",\"a\":" + t + "}", 1);
    assertRefused(file, Kind.MALFORMED).hasMessageContaining("duplicate object key 'a'");
  }

  @Test
  void refusesDuplicateKeysInsideATensorEntry() {
    byte[] file =
        file("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    assertRefused(file, Kind.MALFORMED).hasMessageContaining("duplicate object key 'dtype'");
  }

  @Test
  void refusesNonStringMetadataValue() {
    assertRefused(file("{\"__metadata__\":{\"epoch\":3}}", 0), Kind.MALFORMED)
        .hasMessageContaining("__metadata__ value for 'epoch' must be a string, got an integer");
  }

  @Test
  void refusesMetadataThatIsNotAnObject() {
    assertRefused(file("{\"__metadata__\":[\"x\"]}", 0), Kind.MALFORMED)
        .hasMessageContaining("__metadata__ must be an object");
  }

  @Test
  void refusesNegativeShape() {
    byte[] file = file("{\"a\":{\"dtype\":\"U8\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", 0);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("tensor 'a': shape[1] is negative: -1");
  }

  @Test
  void refusesOffsetsThatDoNotMatchNumelTimesItemSize() {
    byte[] file = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("tensor 'a'")
        .hasMessageContaining("hold 4 bytes")
        .hasMessageContaining("numel*itemSize = 8");
  }

  @Test
  void refusesShapeWhoseProductOverflows() {
    byte[] file =
        file(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}",
            0);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("tensor 'a'")
        .hasMessageContaining("overflows");
  }

  @Test
  void refusesByteSizeThatOverflows() {
    byte[] file =
        file(
            "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}",
            0);
    assertRefused(file, Kind.MALFORMED).hasMessageContaining("overflows: too many bytes");
  }

  @Test
  void refusesIntegersBeyond64Bits() {
    byte[] file =
        file(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551617]}}",
            1);
    assertRefused(file, Kind.MALFORMED).hasMessageContaining("data_offsets end overflows");
  }

  @Test
  void refusesEndBeforeBegin() {
    byte[] file = file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,2]}}", 4);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("tensor 'a': data_offsets end 2 is before begin 4");
  }

  @Test
  void refusesUnknownFieldsAndWrongTypes() {
    assertRefused(
            file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":1}}", 1),
            Kind.MALFORMED)
        .hasMessageContaining("tensor 'a' has unknown field 'x'");
    assertRefused(
            file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", 1),
            Kind.MALFORMED)
        .hasMessageContaining("shape[0] must be a non-negative integer, got a number");
    assertRefused(
            file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", 1),
            Kind.MALFORMED)
        .hasMessageContaining("data_offsets must be an array [begin, end]");
    assertRefused(file("{\"a\":[]}", 0), Kind.MALFORMED)
        .hasMessageContaining("tensor 'a' must be an object, got an array");
  }

  @Test
  void enforcesCountKeyRankNumelAndDepthLimits() {
    String t = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
    String t2 = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}";
    ReadLimits d = LIMITS;
    ReadLimits oneTensor =
        withLimits(1, d.maxRank(), d.maxKeyLength(), d.maxTotalNumel(), d.maxDepth());
    assertRefused(file("{\"a\":" + t + ",\"b\":" + t2 + "}", 2), oneTensor, Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("more than 1 tensors");

    ReadLimits shortKeys =
        withLimits(d.maxTensors(), d.maxRank(), 3, d.maxTotalNumel(), d.maxDepth());
    assertRefused(file("{\"abcd\":" + t + "}", 1), shortKeys, Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("tensor key 'abcd' is 4 bytes in UTF-8, more than the limit of 3");

    ReadLimits lowRank =
        withLimits(d.maxTensors(), 1, d.maxKeyLength(), d.maxTotalNumel(), d.maxDepth());
    assertRefused(
            file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1],\"data_offsets\":[0,1]}}", 1),
            lowRank,
            Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("rank 2 exceeds the limit of 1");

    ReadLimits fewElements =
        withLimits(d.maxTensors(), d.maxRank(), d.maxKeyLength(), 1, d.maxDepth());
    assertRefused(file("{\"a\":" + t + ",\"b\":" + t2 + "}", 2), fewElements, Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("total elements exceed the limit of 1 at tensor 'b'");

    assertRefused(file("{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}", 0), Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("nesting deeper than 100");
  }

  @Test
  void strictJsonRefusesLeadingZerosBadEscapesAndLoneSurrogates() {
    assertThatThrownBy(() -> StrictJson.parse("[01]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("leading zero")
        .hasMessageContaining("at byte 2");
    assertThatThrownBy(() -> StrictJson.parse("[\"\\x\"]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("invalid escape");
    assertThatThrownBy(() -> StrictJson.parse("[\"\\ud800\"]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> StrictJson.parse("[\"a\nb\"]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("control character");
    assertThatThrownBy(
            () -> StrictJson.parse(("[" + "1".repeat(500) + "]").getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("number literal longer than");
  }

  @Test
  void strictJsonReadsEveryValueKind() throws Exception {
    Object v =
        StrictJson.parse(
            ("{\"s\":\"h\\u00e9\\ud83d\\ude00\u00e9\",\"n\":-12,"
                    + "\"big\":18446744073709551616,\"f\":1.5e2,\"b\":true,\"z\":null,\"l\":[]}")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(v).isInstanceOf(Map.class);
    Map<?, ?> m = (Map<?, ?>) v;
    assertThat(List.copyOf((java.util.Set<?>) m.keySet()))
        .isEqualTo(List.of("s", "n", "big", "f", "b", "z", "l"));
    assertThat(m.get("s")).isEqualTo("h\u00e9\ud83d\ude00\u00e9");
    assertThat(m.get("n")).isEqualTo(-12L);
    assertThat(m.get("big")).isEqualTo(new java.math.BigInteger("18446744073709551616"));
    assertThat(((java.math.BigDecimal) m.get("f")).doubleValue()).isEqualTo(150.0);
    assertThat(m.get("b")).isEqualTo(true);
    assertThat(m.get("z")).isNull();
    assertThat(m.get("l")).isEqualTo(List.of());
  }

  // ---- bounded work and canonical integers (issue 8) ----

  private static final String U8_AT_0 = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";

  @Test
  void refusesNonCanonicalIntegersWhereAnIntegerIsRequired() {
    for (String bad :
        List.of(
            "\"shape\":[1],\"data_offsets\":[-0,1]",
            "\"shape\":[1.0],\"data_offsets\":[0,1]",
            "\"shape\":[1],\"data_offsets\":[0,1e0]",
            "\"shape\":[1],\"data_offsets\":[0,10E-1]")) {
      byte[] file = file("{\"a\":{\"dtype\":\"U8\"," + bad + "}}", 1);
      assertRefused(file, Kind.MALFORMED)
          .as(bad)
          .hasMessageContaining("tensor 'a'")
          .hasMessageContaining("must be a non-negative integer, got a number");
    }
    assertRefused(
            file("{\"a\":{\"dtype\":\"U8\",\"shape\":[01],\"data_offsets\":[0,1]}}", 1),
            Kind.MALFORMED)
        .hasMessageContaining("leading zero");
    assertRefused(
            file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-0,1]}}", 1),
            Kind.MALFORMED)
        .hasMessageContaining("-0 is not a canonical integer");
  }

  @Test
  void refusesAnExponentTooLargeForAnyNumberWithoutFailingOtherwise() {
    byte[] file = file("{\"__metadata__\":{\"a\":1e9999999999}}", 0);
    assertRefused(file, Kind.MALFORMED).hasMessageContaining("out of range");
  }

  @Test
  void refusesATensorKeyWithNul() {
    byte[] file = file("{\"a\\u0000b\":" + U8_AT_0 + "}", 1);
    assertRefused(file, Kind.MALFORMED)
        .hasMessageContaining("tensor key 'a\\u0000b' contains U+0000");
  }

  @Test
  void leavesOutAHugeMetadataValueOfEscapesInLinearTimeAndBoundedMemory() {
    // 9 MB of \\u escapes: one 1.5-million-character value, past the 1 MiB metadata budget.
    StringBuilder h = new StringBuilder("{\"__metadata__\":{\"big\":\"");
    h.append("\\u4e00".repeat(1_500_000)).append("\",\"format\":\"pt\"},\"a\":").append(U8_AT_0);
    byte[] file = file(h.append("}").toString(), 1);
    long allocatedBefore = allocatedBytes();

    CheckpointIndex index = Hostile.finishes(() -> read(file));

    long allocated = allocatedBytes() - allocatedBefore;
    assertThat(index.metadata()).containsExactly(Map.entry("format", "pt"));
    assertThat(index.tensors()).extracting(TensorInfo::key).containsExactly("a");
    if (allocatedBefore >= 0) {
      // The header (9 MB) is read; the value itself is never materialized.
      assertThat(allocated).isLessThan(3L * file.length);
    }
  }

  @Test
  void keepsMetadataEntriesInOrderWhileTheyFitTheBudgetAndDropsNul() throws IOException {
    String header =
        "{\"__metadata__\":{\"a\":\""
            + "x".repeat(600)
            + "\",\"b\":\""
            + "y".repeat(600)
            + "\",\"nul\":\"p\\u0000q\",\"c\":\"z\"}}";
    ReadLimits small = LIMITS.withMetadataBudget(1000, 100);
    CheckpointIndex index = SafetensorsReader.read(new BytesChannel(file(header, 0)), small);
    assertThat(index.metadata().keySet()).containsExactly("a", "c");
  }

  @Test
  void refusesMetadataWithMoreEntriesThanTheNodeLimit() {
    StringBuilder h = new StringBuilder("{\"__metadata__\":{");
    for (int i = 0; i < 200_000; i++) {
      h.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    byte[] file = file(h.append("}}").toString(), 0);
    Hostile.refused(() -> read(file), Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("__metadata__ holds more than 100000 entries");
  }

  @Test
  void refusesMoreTensorsThanTheLimitBeforeReadingThemAll() {
    // 100,000 tiny entries in a 6 MB header; the limit is 1,000.
    StringBuilder h = new StringBuilder("{");
    for (int i = 0; i < 100_000; i++) {
      h.append(i == 0 ? "" : ",")
          .append("\"t")
          .append(i)
          .append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
    }
    byte[] file = file(h.append("}").toString(), 0);
    ReadLimits few = LIMITS.withMaxTensors(1000);
    Hostile.refused(() -> SafetensorsReader.read(Bytes.channel(file), few), Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("more than 1000 tensors");
  }

  private static long allocatedBytes() {
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    if (threads instanceof com.sun.management.ThreadMXBean sun
        && sun.isThreadAllocatedMemorySupported()
        && sun.isThreadAllocatedMemoryEnabled()) {
      return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
    return -1;
  }

  // ---- helpers ----

  private static ReadLimits withLimits(
      int tensors, int rank, int keyLength, long numel, int depth) {
    ReadLimits d = ReadLimits.defaults();
    return new ReadLimits(
        d.maxZipEntries(),
        d.maxPickleBytes(),
        d.maxPickleOps(),
        d.maxMemo(),
        d.maxStack(),
        depth,
        d.maxStringLength(),
        tensors,
        rank,
        keyLength,
        d.maxHeaderBytes(),
        numel);
  }

  private static CheckpointIndex read(byte[] file) throws IOException {
    return SafetensorsReader.read(new BytesChannel(file), LIMITS);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(
      byte[] file, Kind kind) {
    return assertRefused(file, LIMITS, kind);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(
      byte[] file, ReadLimits limits, Kind kind) {
    return assertThatThrownBy(() -> SafetensorsReader.read(new BytesChannel(file), limits))
        .isInstanceOfSatisfying(FormatException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }

  /**
   * A safetensors file: length, the header exactly as given, then {@code dataBytes} bytes 0, 1,
   * 2...
   */
  static byte[] file(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    byte[] data = new byte[dataBytes];
    for (int i = 0; i < dataBytes; i++) {
      data[i] = (byte) i;
    }
    return concat(u64(h.length), h, data);
  }

  private static long headerLength(byte[] file) {
    return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  static byte[] u64(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static Map<String, TensorInfo> byKey(CheckpointIndex index) {
    Map<String, TensorInfo> m = new java.util.LinkedHashMap<>();
    index.tensors().forEach(t -> m.put(t.key(), t));
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> expectedEntry(String file) throws Exception {
    Map<String, Object> doc =
        (Map<String, Object>)
            StrictJson.parse(Files.readAllBytes(Fixtures.conformance().resolve("expected.json")));
    for (Object e : (List<Object>) doc.get("files")) {
      Map<String, Object> entry = (Map<String, Object>) e;
      if (file.equals(entry.get("file"))) {
        return entry;
      }
    }
    throw new AssertionError("no expected.json entry for " + file);
  }

  private static String sha256(FileChannel ch, long offset, long length)
      throws IOException, NoSuchAlgorithmException {
    ByteBuffer buf = ByteBuffer.allocate((int) length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, offset + buf.position()) < 0) {
        throw new IOException("short read");
      }
    }
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buf.array()));
  }
}
