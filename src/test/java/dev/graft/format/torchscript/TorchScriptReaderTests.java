package dev.graft.format.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.Bytes;
import dev.graft.format.DType;
import dev.graft.format.FormatException;
import dev.graft.format.Hostile;
import dev.graft.format.PickleBuilder;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.ZipBuilder;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.read.CheckpointReader;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads small real TorchScript archives made by scripts/make_torchscript_samples.py, and refuses
 * archives that would run code or whose layout cannot be read without running it.
 */
class TorchScriptReaderTests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LINEAR_CODE = "code/__torch__/torch/nn/modules/linear.py";

  private static byte[] resource(String name) throws IOException {
    try (InputStream in =
        TorchScriptReaderTests.class.getResourceAsStream("/format/torchscript/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static TorchScriptIndex read(byte[] file) throws IOException {
    return TorchScriptReader.read(Bytes.channel(file), ReadLimits.defaults());
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"linear.pt", "sequential.pt", "nested.pt", "no_bias.pt", "traced.pt", "tied.pt"})
  void shouldDescribeRealArchivesAsTheirStateDictDoes(String name) throws Exception {
    byte[] file = resource(name);
    TorchScriptIndex index = read(file);
    JsonNode want = JSON.readTree(resource("expected.json")).get(name).get("tensors");

    assertThat(index.rootClass()).startsWith("__torch__.");
    assertThat(index.entries()).extracting(TorchScriptEntry::key).hasSize(want.size());
    for (int i = 0; i < want.size(); i++) {
      TorchScriptEntry e = index.entries().get(i);
      JsonNode w = want.get(i);
      String key = w.get("key").asString();
      TensorInfo t = e.tensor();
      assertThat(e.key()).isEqualTo(key);
      assertThat(t.dtype().torchName()).as(key).isEqualTo(w.get("dtype").asString());
      List<Long> shape = new ArrayList<>();
      w.get("shape").forEach(n -> shape.add(n.asLong()));
      assertThat(t.shape()).as(key).isEqualTo(shape);
      assertThat(e.kind().name()).as(key).isEqualTo(w.get("kind").asString());
      boolean parameter = e.kind() == TorchScriptEntry.Kind.PARAMETER;
      assertThat(t.parameter()).as(key).isEqualTo(parameter);
      assertThat(t.requiresGrad())
          .as(key)
          .isEqualTo(parameter ? w.get("requiresGrad").asBoolean() : null);
      if (!parameter) {
        assertThat(w.get("requiresGrad").asBoolean()).as(key).isFalse();
      }
      assertThat(t.byteOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
      assertThat(t.storageKey()).startsWith("data/");
      assertThat(sha256(TensorData.readContiguous(Bytes.channel(file), t)))
          .as(key)
          .isEqualTo(w.get("sha256").asString());
    }
  }

  @Test
  void shouldKeepAFrozenParametersRequiresGradFalse() throws Exception {
    TorchScriptIndex index = read(resource("sequential.pt"));
    assertThat(index.entries())
        .filteredOn(e -> e.key().equals("0.bias"))
        .singleElement()
        .satisfies(e -> assertThat(e.tensor().requiresGrad()).isFalse());
    assertThat(index.rootClass()).isEqualTo("__torch__.torch.nn.modules.container.Sequential");
  }

  @Test
  void shouldListOwnTensorsBeforeChildrenAndKeepNonPersistentBuffers() throws Exception {
    // The eager model registers `inner` before `scale`; state_dict() still starts with the root's
    // own parameter and buffer. `inner.scratch` is persistent=False: TorchScript keeps no mark of
    // that, and the loaded module's state_dict() includes it, so the reader does too.
    TorchScriptIndex index = read(resource("nested.pt"));
    assertThat(index.entries())
        .extracting(TorchScriptEntry::key)
        .containsExactly(
            "scale",
            "steps",
            "inner.persist",
            "inner.scratch",
            "inner.lin.weight",
            "head.weight",
            "head.bias");
    JsonNode scratch = JSON.readTree(resource("expected.json")).get("nested.pt").get("tensors");
    assertThat(scratch.get(3).get("key").asString()).isEqualTo("inner.scratch");
    assertThat(scratch.get(3).get("persistentInEager").asBoolean()).isFalse();
    assertThat(index.entries().get(1).tensor().dtype()).isEqualTo(DType.INT64);
    assertThat(index.entries().get(1).kind()).isEqualTo(TorchScriptEntry.Kind.BUFFER);
  }

  @Test
  void shouldListATiedWeightOncePerKeyOnOneStorage() throws Exception {
    TorchScriptIndex index = read(resource("tied.pt"));
    assertThat(index.entries())
        .extracting(TorchScriptEntry::key)
        .containsExactly("embed.weight", "out.weight");
    assertThat(index.entries().get(0).tensor().storageKey())
        .isEqualTo(index.entries().get(1).tensor().storageKey());
    assertThat(index.numel()).isEqualTo(30);
  }

  @Test
  void shouldRouteTorchScriptAwayFromTheCheckpointReader() throws Exception {
    byte[] archive = resource("linear.pt");
    assertThat(CheckpointReader.isTorchScript(Bytes.channel(archive), ReadLimits.defaults()))
        .isTrue();
    assertThatThrownBy(
            () -> CheckpointReader.read(Bytes.channel(archive), null, null, ReadLimits.defaults()))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.UNSUPPORTED))
        .hasMessageContaining("TorchScript archive");

    byte[] checkpoint;
    try (InputStream in =
        TorchScriptReaderTests.class.getResourceAsStream("/format/torch/nested.pt")) {
      checkpoint = in.readAllBytes();
    }
    assertThat(CheckpointReader.isTorchScript(Bytes.channel(checkpoint), ReadLimits.defaults()))
        .isFalse();
    assertThat(
            CheckpointReader.isTorchScript(
                Bytes.channel("not a model".getBytes(StandardCharsets.US_ASCII)),
                ReadLimits.defaults()))
        .isFalse();
    assertRefused(checkpoint, FormatException.Kind.UNSUPPORTED, "not a TorchScript archive");
  }

  @Test
  void shouldRefuseAScriptObjectWhoseStateCallsPosixSystemByName() throws Exception {
    byte[] pickle =
        PickleBuilder.proto2()
            .global("__torch__", "Evil")
            .emptyTuple()
            .op(0x81)
            .emptyDict()
            .str("x")
            .global("posix", "system")
            .mark()
            .str("touch /tmp/pwned")
            .tuple()
            .reduce()
            .setitem()
            .op('b')
            .stop()
            .build();
    byte[] file =
        rewrite(
            resource("linear.pt"),
            Map.of("data.pkl", b -> pickle, "code/__torch__.py", b -> classCode("Evil", "[]")));
    assertRefused(file, FormatException.Kind.UNSAFE, "'posix.system' is not allowed");
  }

  @Test
  void shouldRefuseToCallAScriptClass() throws Exception {
    byte[] pickle =
        PickleBuilder.proto2()
            .global("__torch__", "Evil")
            .mark()
            .str("arg")
            .tuple()
            .reduce()
            .stop()
            .build();
    byte[] file = rewrite(resource("linear.pt"), Map.of("data.pkl", b -> pickle));
    assertRefused(file, FormatException.Kind.UNSAFE, "REDUCE on a TorchScript class");
  }

  @Test
  void shouldKeepRefusingScriptClassesInCheckpoints() {
    byte[] pickle =
        PickleBuilder.proto2().global("__torch__", "M").emptyTuple().op(0x81).stop().build();
    assertThatThrownBy(() -> new RestrictedUnpickler(ReadLimits.defaults()).load(pickle))
        .isInstanceOfSatisfying(
            FormatException.class, e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.UNSAFE))
        .hasMessageContaining("'__torch__.M' is not allowed");
  }

  @Test
  void shouldRefuseAMissingCodeRecord() throws Exception {
    byte[] file = rewrite(resource("linear.pt"), Map.of(LINEAR_CODE, b -> null));
    assertRefused(
        file,
        FormatException.Kind.MALFORMED,
        "class '__torch__.torch.nn.modules.linear.Linear' has no code record");
  }

  @Test
  void shouldRefuseAParametersListThatIsNotPlainStringLiterals() throws Exception {
    for (String literal :
        List.of(
            "[\"weight\", bias, ]",
            "[\"weight\", \"bias\", ] + evil()",
            "[\"weight\" \"bias\"]",
            "[\"we\\x41ight\", ]",
            "[\"weight\", \"weight\", ]",
            "[\"a.b\", ]")) {
      byte[] file =
          rewrite(
              resource("linear.pt"),
              Map.of(
                  LINEAR_CODE,
                  b ->
                      new String(b, StandardCharsets.UTF_8)
                          .replace(
                              "__parameters__ = [\"weight\", \"bias\", ]",
                              "__parameters__ = " + literal)
                          .getBytes(StandardCharsets.UTF_8)));
      assertThatThrownBy(() -> read(file))
          .as(literal)
          .isInstanceOfSatisfying(
              FormatException.class,
              e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.MALFORMED))
          .hasMessageContaining("__parameters__ at 'linear/" + LINEAR_CODE + "' line 2");
    }
  }

  @Test
  void shouldRefuseAModuleClassWithoutItsLists() throws Exception {
    byte[] file =
        rewrite(
            resource("linear.pt"),
            Map.of(
                LINEAR_CODE,
                b ->
                    new String(b, StandardCharsets.UTF_8)
                        .replace("  __buffers__ = []\n", "")
                        .getBytes(StandardCharsets.UTF_8)));
    assertRefused(file, FormatException.Kind.MALFORMED, "does not list its __buffers__");
  }

  @Test
  void shouldRefuseAListedParameterMissingFromTheState() throws Exception {
    byte[] file =
        rewrite(
            resource("linear.pt"),
            Map.of(
                LINEAR_CODE,
                b ->
                    new String(b, StandardCharsets.UTF_8)
                        .replace("\"bias\", ]", "\"bias\", \"gain\", ]")
                        .getBytes(StandardCharsets.UTF_8)));
    assertRefused(
        file, FormatException.Kind.MALFORMED, "lists parameter 'gain' but its pickled state");
  }

  @Test
  void shouldBoundTheWalkOverSharedSubmodules() throws Exception {
    // Each level holds the level below twice, memoized: 40 levels are 2^40 paths.
    PickleBuilder p = PickleBuilder.proto2();
    p.global("__torch__", "M").emptyTuple().op(0x81).emptyDict().op('b').put(0).op('0');
    for (int level = 1; level <= 40; level++) {
      p.global("__torch__", "M").emptyTuple().op(0x81).emptyDict().mark();
      p.str("a").get(level - 1).str("b").get(level - 1).setitems().op('b').put(level);
      if (level < 40) {
        p.op('0');
      }
    }
    byte[] pickle = p.stop().build();
    byte[] file =
        rewrite(
            resource("linear.pt"),
            Map.of("data.pkl", b -> pickle, "code/__torch__.py", b -> classCode("M", "[]")));
    ReadLimits d = ReadLimits.defaults();
    ReadLimits limits =
        new ReadLimits(
            d.maxZipEntries(),
            d.maxPickleBytes(),
            d.maxPickleOps(),
            d.maxMemo(),
            d.maxStack(),
            d.maxDepth(),
            d.maxStringLength(),
            1000,
            d.maxRank(),
            d.maxKeyLength(),
            d.maxHeaderBytes(),
            d.maxTotalNumel());
    assertThatThrownBy(() -> TorchScriptReader.read(Bytes.channel(file), limits))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.LIMIT_EXCEEDED))
        .hasMessageContaining("more than the limit of 1000 module paths");
  }

  @Test
  void shouldInflateCodeRecordsOnlyToTheirDeclaredSize() throws Exception {
    TorchZip zip = TorchZip.open(Bytes.channel(resource("linear.pt")), ReadLimits.defaults());
    byte[] text = "class M(Module):\n  __parameters__ = []\n".repeat(50).getBytes();
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    deflater.setInput(text);
    deflater.finish();
    byte[] buf = new byte[4096];
    byte[] deflated = Arrays.copyOf(buf, deflater.deflate(buf));
    deflater.end();
    int n = deflated.length;

    assertThat(zip.readContent(Bytes.channel(deflated), deflatedEntry(n, text.length), 1 << 20))
        .isEqualTo(text);
    // A record that inflates to more than it declares (a zip bomb) stops at the declared size.
    assertInflateRefused(zip, deflated, deflatedEntry(n, text.length - 1), "does not inflate");
    assertInflateRefused(zip, deflated, deflatedEntry(n, text.length + 1), "does not inflate");
    byte[] corrupt = deflated.clone();
    corrupt[0] = (byte) 0xff;
    assertInflateRefused(zip, corrupt, deflatedEntry(n, text.length), "deflate");
    assertThatThrownBy(
            () -> zip.readContent(Bytes.channel(deflated), deflatedEntry(n, text.length), 100))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.LIMIT_EXCEEDED));
    TorchZipEntry bzip2 = new TorchZipEntry("m/code/x.py", 12, 0, n, text.length, 0, 0);
    assertThatThrownBy(() -> zip.readContent(Bytes.channel(deflated), bzip2, 1 << 20))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.UNSUPPORTED));
  }

  @Test
  void shouldCheckTheCrcOfADeflatedCodeRecordOnItsInflatedBytes() throws Exception {
    byte[] file = resource("linear.pt").clone();
    TorchZipEntry code =
        TorchZip.open(Bytes.channel(file), ReadLimits.defaults()).find(LINEAR_CODE).orElseThrow();
    assertThat(code.method()).isEqualTo(8);
    int wrong = code.crc() ^ 1;
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt((int) code.dataEnd() + 4, wrong); // its data descriptor
    for (int i = 0; i + 46 <= file.length; i++) { // and its central directory entry
      if (buf.getInt(i) == 0x02014b50 && buf.getInt(i + 42) == (int) code.localHeaderOffset()) {
        buf.putInt(i + 16, wrong);
      }
    }
    Hostile.refused(() -> read(file), FormatException.Kind.MALFORMED)
        .hasMessageContaining("'linear/" + LINEAR_CODE + "' has CRC-32");
  }

  // ---- code records and module graphs stay bounded (issue 8) ----

  /** A TorchScript archive whose root is an object of {@code __torch__.M}, with the given code. */
  private static ZipBuilder scriptArchive(byte[] pickle) {
    return new ZipBuilder()
        .add("m/data.pkl", pickle)
        .add("m/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'})
        .add("m/version", "3\n");
  }

  private static byte[] emptyModulePickle() {
    return PickleBuilder.proto2()
        .global("__torch__", "M")
        .emptyTuple()
        .op(0x81)
        .emptyDict()
        .op('b')
        .stop()
        .build();
  }

  private static byte[] padded(int bytes) {
    byte[] code = classCode("M", "[]");
    byte[] out = Arrays.copyOf(code, bytes);
    Arrays.fill(out, code.length, bytes, (byte) '#');
    return out;
  }

  @Test
  void shouldRefuseADeflateBombCodeRecordBeforeInflatingIt() {
    // 40 MB of code that deflates to about 40 KB; code records are capped at 16 MiB.
    byte[] file =
        scriptArchive(emptyModulePickle())
            .addDeflated("m/code/__torch__.py", padded(40 << 20))
            .build();
    Hostile.refused(() -> read(file), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("code record 'm/code/__torch__.py' holds 41943040 bytes")
        .hasMessageContaining("more than the limit of 16777216");
  }

  @Test
  void shouldStopInflatingACodeRecordThatLiesAboutItsSize() {
    ZipBuilder b =
        scriptArchive(emptyModulePickle()).addDeflated("m/code/__torch__.py", padded(40 << 20));
    b.last().declaredSize = 1 << 20; // it says 1 MiB
    byte[] file = b.build();
    Hostile.refused(() -> read(file), FormatException.Kind.MALFORMED)
        .hasMessageContaining("does not inflate to its declared 1048576 bytes");
  }

  @Test
  void shouldGrowTheInflateBufferWithTheOutputNotTheDeclaredSize() throws Exception {
    // Declares 16 MiB, the most a code record may, and inflates to a few bytes.
    ZipBuilder b =
        scriptArchive(emptyModulePickle()).addDeflated("m/code/__torch__.py", padded(100));
    b.last().declaredSize = 16 << 20;
    byte[] file = b.build();
    TorchZip zip = TorchZip.open(Bytes.channel(file), ReadLimits.defaults());
    TorchZipEntry code = zip.find("code/__torch__.py").orElseThrow();
    long before = allocatedBytes();
    assertThatThrownBy(() -> zip.readContent(Bytes.channel(file), code, 16 << 20))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.MALFORMED))
        .hasMessageContaining("does not inflate to its declared 16777216 bytes");
    if (before >= 0) {
      assertThat(allocatedBytes() - before).isLessThan(4L << 20);
    }
  }

  @Test
  void shouldReadKeysOncePerPathThroughSharedModulesWithTensors() throws Exception {
    // Root 'a' and 'b' are one module; its 'x' and 'y' are one leaf holding 'w'.
    PickleBuilder p = PickleBuilder.proto2();
    p.global("__torch__", "Leaf").emptyTuple().op(0x81).emptyDict().str("w");
    p.tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).setitem().op('b').put(0);
    p.op('0').global("__torch__", "Mid").emptyTuple().op(0x81).emptyDict().mark();
    p.str("x").get(0).str("y").get(0).setitems().op('b').put(1).op('0');
    p.global("__torch__", "Root").emptyTuple().op(0x81).emptyDict().mark();
    p.str("a").get(1).str("b").get(1).setitems().op('b').stop();
    byte[] code =
        ("class Leaf(Module):\n  __parameters__ = [\"w\", ]\n  __buffers__ = []\n"
                + "class Mid(Module):\n  __parameters__ = []\n  __buffers__ = []\n"
                + "class Root(Module):\n  __parameters__ = []\n  __buffers__ = []\n")
            .getBytes(StandardCharsets.UTF_8);
    byte[] file =
        scriptArchive(p.build())
            .add("m/code/__torch__.py", code)
            .add("m/data/0", new byte[4])
            .build();

    assertThat(read(file).entries())
        .extracting(TorchScriptEntry::key)
        .containsExactly("a.x.w", "a.y.w", "b.x.w", "b.y.w");
  }

  @Test
  void shouldRefuseAChainOfModulesNestedDeeperThanTheLimitWithoutOverflowingTheStack() {
    // 20,000 modules, each the 'c' of the one before; BUILD comes after nesting, so the
    // unpickler's depth count never sees the chain's length.
    int n = 20_000;
    PickleBuilder p = PickleBuilder.proto2();
    for (int i = 0; i <= n; i++) {
      p.global("__torch__", "M").emptyTuple().op(0x81).op('r').raw(PickleBuilder.le32(i)).op('0');
    }
    for (int i = 0; i < n; i++) {
      p.op('j').raw(PickleBuilder.le32(i)).emptyDict().str("c");
      p.op('j').raw(PickleBuilder.le32(i + 1)).setitem().op('b').op('0');
    }
    p.op('j').raw(PickleBuilder.le32(n)).emptyDict().op('b').op('0');
    p.op('j').raw(PickleBuilder.le32(0)).stop();
    byte[] file = scriptArchive(p.build()).add("m/code/__torch__.py", classCode("M", "[]")).build();
    Hostile.refused(() -> read(file), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("is nested deeper than the limit of 100 modules");
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

  private static TorchZipEntry deflatedEntry(long compressed, long size) {
    return new TorchZipEntry("m/code/x.py", 8, 0, compressed, size, 0, 0);
  }

  private static void assertInflateRefused(
      TorchZip zip, byte[] data, TorchZipEntry entry, String message) {
    assertThatThrownBy(() -> zip.readContent(Bytes.channel(data), entry, 1 << 20))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.kind()).isEqualTo(FormatException.Kind.MALFORMED))
        .hasMessageContaining(message);
  }

  private static byte[] classCode(String name, String parameters) {
    return ("class "
            + name
            + "(Module):\n  __parameters__ = "
            + parameters
            + "\n  __buffers__ = []\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static void assertRefused(byte[] file, FormatException.Kind kind, String message) {
    assertThatThrownBy(() -> read(file))
        .isInstanceOfSatisfying(FormatException.class, e -> assertThat(e.kind()).isEqualTo(kind))
        .hasMessageContaining(message);
  }

  /**
   * Rewrites a real archive's records (names below the root), stored: a function returning null
   * drops the record, and names not in the archive are added.
   */
  private static byte[] rewrite(byte[] archive, Map<String, UnaryOperator<byte[]>> changes)
      throws IOException {
    TorchZip zip = TorchZip.open(Bytes.channel(archive), ReadLimits.defaults());
    Map<String, UnaryOperator<byte[]>> pending = new LinkedHashMap<>(changes);
    ZipBuilder out = new ZipBuilder();
    for (TorchZipEntry e : zip.entries()) {
      String relative = e.name().substring(zip.root().length() + 1);
      byte[] content = zip.readContent(Bytes.channel(archive), e, Long.MAX_VALUE);
      UnaryOperator<byte[]> change = pending.remove(relative);
      byte[] changed = change == null ? content : change.apply(content);
      if (changed != null) {
        out.add(e.name(), changed);
      }
    }
    for (Map.Entry<String, UnaryOperator<byte[]>> added : pending.entrySet()) {
      out.add(zip.root() + "/" + added.getKey(), added.getValue().apply(null));
    }
    return out.build();
  }
}
