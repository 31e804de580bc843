package dev.graft.format.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.DType;
import dev.graft.format.FormatException;
import dev.graft.format.Hostile;
import dev.graft.format.PickleBuilder;
import dev.graft.format.ReadLimits;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class RestrictedUnpicklerTests {

  private static final ReadLimits LIMITS = ReadLimits.defaults();

  private static Object load(PickleBuilder b) throws FormatException {
    return new RestrictedUnpickler(LIMITS).load(b.build());
  }

  private static AbstractThrowableAssert<?, ?> assertRefused(
      PickleBuilder b, FormatException.Kind kind, String... parts) {
    return assertRefused(b, LIMITS, kind, parts);
  }

  private static AbstractThrowableAssert<?, ?> assertRefused(
      PickleBuilder b, ReadLimits limits, FormatException.Kind kind, String... parts) {
    return assertThatThrownBy(() -> new RestrictedUnpickler(limits).load(b.build()))
        .isInstanceOf(FormatException.class)
        .satisfies(e -> assertThat(((FormatException) e).kind()).isEqualTo(kind))
        .hasMessageContainingAll(parts)
        .hasMessageContaining("at pickle offset");
  }

  @Test
  void shouldBuildOrderedDictOfTensors() throws FormatException {
    PickleBuilder b = PickleBuilder.proto2().orderedDict().put(0).mark();
    b.str("w").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1});
    b.str("n").tensor("LongStorage", "1", 1, 0, new long[] {}, new long[] {});
    b.setitems().stop();

    Object v = load(b);

    assertThat(v).isInstanceOf(PickleDict.class);
    PickleDict d = (PickleDict) v;
    assertThat(d.ordered()).isTrue();
    assertThat(d.keySet()).containsExactly("w", "n");
    TensorRef w = (TensorRef) d.get("w");
    assertThat(w.storage()).isEqualTo(new StorageRef("0", DType.FLOAT32, "cpu", 6));
    assertThat(w.size()).containsExactly(2L, 3L);
    assertThat(w.stride()).containsExactly(3L, 1L);
    assertThat(((TensorRef) d.get("n")).storage().dtype()).isEqualTo(DType.INT64);
  }

  @Test
  void shouldCaptureMetadataSetByBuild() throws FormatException {
    PickleBuilder b = PickleBuilder.proto2().global("collections", "OrderedDict").put(0);
    b.emptyTuple().reduce().put(1).emptyDict().str("_metadata").get(0).emptyTuple().reduce();
    b.mark().str("").emptyDict().str("version").integer(1).setitem();
    b.str("bn").emptyDict().str("version").integer(2).setitem().setitems();
    b.setitem().op('b').stop();

    PickleDict d = (PickleDict) load(b);

    @SuppressWarnings("unchecked")
    Map<Object, Object> meta = (Map<Object, Object>) d.attributes().get("_metadata");
    assertThat(meta.keySet()).containsExactly("", "bn");
    assertThat(((Map<?, ?>) meta.get("bn")).get("version")).isEqualTo(2L);
  }

  @Test
  void shouldBuildParameters() throws FormatException {
    PickleBuilder b = PickleBuilder.proto2().global("torch._utils", "_rebuild_parameter");
    b.tensor("HalfStorage", "0", 1, 0, new long[] {1}, new long[] {1}).bool(true).orderedDict();
    b.op(0x87).reduce().stop();

    ParameterRef p = (ParameterRef) load(b);

    assertThat(p.requiresGrad()).isTrue();
    assertThat(p.tensor().storage().dtype()).isEqualTo(DType.FLOAT16);
  }

  @Test
  void shouldReadScalarsListsAndSets() throws FormatException {
    PickleBuilder b = PickleBuilder.proto2().emptyList().mark();
    b.op('G').raw(0x3f, 0xf8, 0, 0, 0, 0, 0, 0); // 1.5 big-endian
    b.op(0x8a).raw(9).raw(0, 0, 0, 0, 0, 0, 0, 0, 1); // 2**64
    b.integer(-7).none().shortStr("é").op('C').raw(2, 1, 2);
    b.global("_codecs", "encode").str("\u00ff").str("latin1").op(0x86).reduce();
    b.global("__builtin__", "set").emptyList().integer(1).op('a').op(0x85).reduce();
    b.op('e').stop();

    List<?> l = (List<?>) load(b);

    assertThat(l.get(0)).isEqualTo(1.5);
    assertThat(l.get(1)).hasToString("18446744073709551616");
    assertThat(l.get(2)).isEqualTo(-7L);
    assertThat(l.get(3)).isNull();
    assertThat(l.get(4)).isEqualTo("é");
    assertThat((byte[]) l.get(5)).containsExactly(1, 2);
    assertThat((byte[]) l.get(6)).containsExactly(0xff);
    assertThat(l.get(7)).isEqualTo(java.util.Set.of(1L));
  }

  @Test
  void shouldAcceptStackGlobalOfAllowedNames() throws FormatException {
    PickleBuilder b = new PickleBuilder().op(0x80).raw(4).shortStr("collections").op(0x94);
    b.shortStr("OrderedDict").op(0x94).op(0x93).emptyTuple().reduce().stop();

    assertThat(load(b)).isInstanceOf(PickleDict.class);
  }

  @Test
  void shouldRefuseGlobalOutsideAllowList() {
    PickleBuilder b =
        PickleBuilder.proto2().global("posix", "system").str("id").op(0x85).reduce().stop();
    assertRefused(
        b,
        FormatException.Kind.UNSAFE,
        "global 'posix.system' is not allowed (at pickle offset 2)");
  }

  @Test
  void shouldRefuseBuiltinsEvalExecAndGetattr() {
    for (String name : List.of("eval", "exec", "getattr")) {
      PickleBuilder b = PickleBuilder.proto2().global("builtins", name).stop();
      assertRefused(
          b, FormatException.Kind.UNSAFE, "global 'builtins." + name + "' is not allowed");
    }
  }

  @Test
  void shouldRefuseStackGlobalOutsideAllowList() {
    PickleBuilder b =
        new PickleBuilder().op(0x80).raw(4).shortStr("os").shortStr("system").op(0x93).stop();
    assertRefused(
        b, FormatException.Kind.UNSAFE, "global 'os.system' is not allowed (at pickle offset");
  }

  @Test
  void shouldRefuseInstObjAndExtOpcodes() {
    assertRefused(
        PickleBuilder.proto2().mark().raw("ios\nsystem\n".getBytes()).stop(),
        FormatException.Kind.UNSAFE,
        "pickle opcode INST is not allowed (at pickle offset 3)");
    assertRefused(
        PickleBuilder.proto2().mark().global("collections", "OrderedDict").op('o').stop(),
        FormatException.Kind.UNSAFE,
        "pickle opcode OBJ is not allowed");
    assertRefused(
        PickleBuilder.proto2().op(0x82).raw(1).stop(),
        FormatException.Kind.UNSAFE,
        "pickle opcode EXT1 is not allowed");
    assertRefused(
        PickleBuilder.proto2().op('P').raw("0\n".getBytes()).stop(),
        FormatException.Kind.UNSAFE,
        "pickle opcode PERSID is not allowed");
  }

  @Test
  void shouldRefuseNewobjOfAFunction() {
    PickleBuilder b =
        PickleBuilder.proto2()
            .global("torch._utils", "_rebuild_tensor_v2")
            .emptyTuple()
            .op(0x81)
            .stop();
    assertRefused(
        b,
        FormatException.Kind.UNSAFE,
        "NEWOBJ of global 'torch._utils._rebuild_tensor_v2' is not allowed");
  }

  @Test
  void shouldRefuseBuildOnAPlainDictOrList() {
    assertRefused(
        PickleBuilder.proto2().emptyList().emptyDict().op('b').stop(),
        FormatException.Kind.UNSAFE,
        "BUILD on a list is not allowed");
    assertRefused(
        PickleBuilder.proto2().global("torch", "Size").emptyDict().op('b').stop(),
        FormatException.Kind.UNSAFE,
        "BUILD on a global 'torch.Size' is not allowed");
  }

  @Test
  void shouldRefuseReduceOnAStorageClass() {
    PickleBuilder b =
        PickleBuilder.proto2().global("torch", "FloatStorage").emptyTuple().reduce().stop();
    assertRefused(
        b,
        FormatException.Kind.UNSAFE,
        "REDUCE on a storage class 'torch.FloatStorage' is not allowed");
  }

  @Test
  void shouldRefusePersistentIdThatIsNotAStorageTuple() {
    assertRefused(
        PickleBuilder.proto2().str("/etc/passwd").op('Q').stop(),
        FormatException.Kind.UNSAFE,
        "persistent id is a str, not a ('storage', type, key, location, numel) tuple");
    assertRefused(
        PickleBuilder.proto2().storage("FloatStorage", "../../x", 1).stop(),
        FormatException.Kind.UNSAFE,
        "storage key '../../x'");
  }

  @Test
  void shouldRefuseStackUnderflow() {
    assertRefused(
        PickleBuilder.proto2().op('0').stop(), FormatException.Kind.MALFORMED, "stack underflow");
    assertRefused(
        PickleBuilder.proto2().emptyList().op('e').stop(),
        FormatException.Kind.MALFORMED,
        "no MARK");
  }

  @Test
  void shouldRefuseUndefinedMemoSlot() {
    assertRefused(
        PickleBuilder.proto2().get(3).stop(),
        FormatException.Kind.MALFORMED,
        "memo slot 3 is not defined (at pickle offset 2)");
  }

  @Test
  void shouldRefuseTruncatedString() {
    PickleBuilder b =
        PickleBuilder.proto2().op('X').raw(PickleBuilder.le32(10)).raw("abc".getBytes());
    assertRefused(
        b, FormatException.Kind.MALFORMED, "pickle is truncated: needs 10 bytes, 3 remain");
  }

  @Test
  void shouldRefuseInvalidUtf8() {
    PickleBuilder b =
        PickleBuilder.proto2().op('X').raw(PickleBuilder.le32(2)).raw(0xc3, 0x28).stop();
    assertRefused(b, FormatException.Kind.MALFORMED, "not valid UTF-8");
  }

  @Test
  void shouldRefuseHugeDeclaredStringBeforeAllocating() {
    PickleBuilder b = PickleBuilder.proto2().op(0x8d).raw(0, 0, 0, 0, 0, 0, 0, 0x7f).stop();
    assertRefused(b, FormatException.Kind.LIMIT_EXCEEDED, "longer than the limit");
  }

  @Test
  void shouldRefuseWrongArgumentTypesToRebuildTensorNamingTheKey() {
    PickleBuilder b = PickleBuilder.proto2().emptyDict().str("fc.weight");
    b.global("torch._utils", "_rebuild_tensor_v2").mark();
    b.storage("FloatStorage", "0", 4)
        .str("zero")
        .ints(4)
        .ints(1)
        .bool(false)
        .orderedDict()
        .tuple()
        .reduce();
    b.setitem().stop();
    assertRefused(
        b,
        FormatException.Kind.MALFORMED,
        "_rebuild_tensor_v2 argument 2 (storage_offset) must be an int within 64 bits, got a str"
            + " for key 'fc.weight'");
  }

  @Test
  void shouldRefuseRebuildTensorWithAStringAsStorage() {
    PickleBuilder b = PickleBuilder.proto2().global("torch._utils", "_rebuild_tensor_v2").mark();
    b.str("s").integer(0).ints(1).ints(1).bool(false).orderedDict().tuple().reduce().stop();
    assertRefused(
        b, FormatException.Kind.MALFORMED, "argument 1 (storage) must be a storage, got a str");
  }

  @Test
  void shouldRefuseAListAsDictKey() {
    PickleBuilder b = PickleBuilder.proto2().emptyDict().emptyList().integer(1).setitem().stop();
    assertRefused(b, FormatException.Kind.MALFORMED, "a list cannot be a dict key");
  }

  @Test
  void shouldRefuseNestingBeyondMaxDepth() {
    PickleBuilder b = PickleBuilder.proto2();
    for (int i = 0; i < 200; i++) {
      b.emptyList();
    }
    for (int i = 0; i < 199; i++) {
      b.op('a');
    }
    assertRefused(b.stop(), FormatException.Kind.LIMIT_EXCEEDED, "containers nest deeper than 100");
  }

  @Test
  void shouldRefuseMarksNestedBeyondMaxDepth() {
    PickleBuilder b = PickleBuilder.proto2();
    for (int i = 0; i < 200; i++) {
      b.mark();
    }
    assertRefused(b.stop(), FormatException.Kind.LIMIT_EXCEEDED, "MARKs nest deeper than 100");
  }

  @Test
  void shouldRefuseTooManyOps() {
    ReadLimits few = new ReadLimits(10, 1 << 20, 5, 100, 100, 10, 100, 10, 4, 100, 100, 100);
    PickleBuilder b = PickleBuilder.proto2();
    for (int i = 0; i < 10; i++) {
      b.none().op('0');
    }
    assertRefused(b.none().stop(), few, FormatException.Kind.LIMIT_EXCEEDED, "more than 5 opcodes");
  }

  @Test
  void shouldRefuseMemoBeyondLimit() {
    ReadLimits few = new ReadLimits(10, 1 << 20, 1000, 2, 100, 10, 100, 10, 4, 100, 100, 100);
    PickleBuilder b = PickleBuilder.proto2().none().put(0).put(1).put(2).stop();
    assertRefused(b, few, FormatException.Kind.LIMIT_EXCEEDED, "memo holds more than 2 entries");
  }

  @Test
  void shouldRefuseStackBeyondLimit() {
    ReadLimits few = new ReadLimits(10, 1 << 20, 1000, 100, 3, 10, 100, 10, 4, 100, 100, 100);
    PickleBuilder b = PickleBuilder.proto2().none().mark().none().none().none().stop();
    assertRefused(b, few, FormatException.Kind.LIMIT_EXCEEDED, "stack holds more than 3 values");
  }

  @Test
  void shouldRefuseTrailingValuesAtStop() {
    assertRefused(
        PickleBuilder.proto2().none().none().stop(),
        FormatException.Kind.MALFORMED,
        "STOP with 2 values on the stack");
  }

  @Test
  void shouldRefuseOldProtocolTextOpcodes() {
    assertRefused(
        new PickleBuilder().op('I').raw("1\n".getBytes()).op('.'),
        FormatException.Kind.UNSAFE,
        "pickle opcode INT is not allowed");
  }

  // ---- work that a file controls is bounded (issue 8) ----

  @Test
  void shouldRefuseAHeavySharedTupleAsADictKeyWithoutHashingItExponentially() {
    // t0 = (1,), t(k) = (t(k-1), t(k-1)): 434 bytes whose tree has 2^61 items.
    PickleBuilder b = PickleBuilder.proto2().integer(1).op(0x85).put(0).op('0');
    for (int k = 1; k <= 60; k++) {
      b.get(k - 1).get(k - 1).op(0x86).put(k).op('0');
    }
    b.emptyDict().get(60).none().setitem().stop();
    Hostile.refused(() -> load(b), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("nested items cannot be a dict key; the limit is 1000")
        .hasMessageContaining("at pickle offset");
  }

  @Test
  void shouldAcceptALightTupleAsADictKey() throws FormatException {
    PickleBuilder b = PickleBuilder.proto2().emptyDict().mark();
    b.integer(1).integer(2).op(0x86).str("a").integer(1).integer(3).op(0x86).str("b");
    PickleDict d = (PickleDict) load(b.setitems().stop());
    assertThat(d.get(new PickleTuple(List.of(1L, 3L)))).isEqualTo("b");
  }

  @Test
  void shouldChargeCollidingTupleKeysToTheWorkBudget() {
    // (B, i, 1860 - 31 i) all hash alike; each B is its own copy of 900 ints, so comparing two keys
    // walks 900 items before the ints differ. 60 keys stay under the same-hash cap (64) and cost
    // about 1.6 million steps of equality.
    PickleBuilder b = PickleBuilder.proto2().emptyDict().mark();
    for (int i = 0; i < 60; i++) {
      b.mark();
      for (int j = 0; j < 900; j++) {
        b.integer(j % 200);
      }
      b.tuple().integer(i).integer(1860 - 31L * i).op(0x87).none();
    }
    b.setitems().stop();
    ReadLimits small = LIMITS.withBudget(1_000_000, 10_000);
    Hostile.refused(
            () -> new RestrictedUnpickler(small).load(b.build()),
            FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("parse exceeded its work budget of 1000000");
  }

  @Test
  void shouldRefuseThousandsOfTupleKeysSharingOneHashCode() {
    // (i, 93000 - 31 i) all hash alike: a linear search per insertion, refused at 65.
    PickleBuilder b = PickleBuilder.proto2().emptyDict().mark();
    for (int i = 0; i < 3000; i++) {
      b.integer(i).integer(93_000 - 31L * i).op(0x86).none();
    }
    b.setitems().stop();
    Hostile.refused(() -> load(b), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("more than 64 keys of one dict share a hash code");
  }

  @Test
  void shouldFindTheKeyHintWithoutRescanningTheStack() {
    // A key, 150,000 globals, then 150,000 calls: a hint that scanned down through the globals on
    // every call was quadratic (10^10 steps).
    int n = 150_000;
    PickleBuilder b = PickleBuilder.proto2().str("key");
    for (int i = 0; i < n; i++) {
      b.global("collections", "OrderedDict");
    }
    for (int i = 0; i < n; i++) {
      b.emptyTuple().reduce().op('0');
    }
    Object v = Hostile.finishes(() -> load(b.stop()));
    assertThat(v).isEqualTo("key");
  }

  @Test
  void shouldRefuseAHugeLong4WithAShortMessage() {
    PickleBuilder b = PickleBuilder.proto2().op(0x8b).raw(PickleBuilder.le32(3_000_000));
    byte[] digits = new byte[3_000_000];
    java.util.Arrays.fill(digits, (byte) 0x55);
    b.raw(digits).stop();
    Hostile.refused(() -> load(b), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining(
            "LONG4 integer of 3000000 bytes is longer than the limit of 1024 bits")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
  }

  @Test
  void shouldReadIntegersUpToTheBitLimitAndRefuseLongerOnes() throws FormatException {
    byte[] max = new byte[128];
    max[127] = 0x40;
    Object v = load(PickleBuilder.proto2().op(0x8a).raw(128).raw(max).stop());
    assertThat(((java.math.BigInteger) v).bitLength()).isEqualTo(1023);
    assertRefused(
        PickleBuilder.proto2().op(0x8a).raw(129).raw(new byte[129]).stop(),
        FormatException.Kind.LIMIT_EXCEEDED,
        "LONG1 integer of 129 bytes");
  }

  @Test
  void shouldKeepMemoSlotsWhereverTheyAreWithoutAllocatingForTheirIndex() throws FormatException {
    // Slot 4,000,000,000 and slot 5,000 are sparse when stored; dense slots then grow past 5,000.
    PickleBuilder b = PickleBuilder.proto2().str("far").op('r').raw(PickleBuilder.le32(-294967296));
    b.op('0').str("mid").op('r').raw(PickleBuilder.le32(5000)).op('0');
    for (int i = 0; i < 6000; i++) {
      if (i != 5000) {
        b.none().op('r').raw(PickleBuilder.le32(i)).op('0');
      }
    }
    b.mark().op('j').raw(PickleBuilder.le32(-294967296)).op('j').raw(PickleBuilder.le32(5000));
    b.op('j').raw(PickleBuilder.le32(5999)).op('l').stop();

    @SuppressWarnings("unchecked")
    List<Object> got = (List<Object>) load(b);
    assertThat(got).containsExactly("far", "mid", null);
  }

  /** 2^k distinct strings of one hash code: every mix of "Aa" and "BB". */
  private static List<String> collidingStrings(int k) {
    List<String> out = new java.util.ArrayList<>(List.of(""));
    for (int i = 0; i < k; i++) {
      List<String> next = new java.util.ArrayList<>();
      for (String s : out) {
        next.add(s + "Aa");
        next.add(s + "BB");
      }
      out = next;
    }
    return out;
  }

  @Test
  void shouldRefuseADictOfMixedKeysBuiltToShareOneHashCode() {
    // str keys alone compare in O(log n) even when their hash codes collide; one int key of the
    // same hash code makes every lookup a linear search, so mixed keys are counted per hash.
    List<String> strings = collidingStrings(7);
    long sameHash = Integer.toUnsignedLong(strings.get(0).hashCode());
    PickleBuilder mixed = PickleBuilder.proto2().emptyDict().mark();
    mixed
        .op(0x8a)
        .raw(5)
        .raw(
            java.nio.ByteBuffer.allocate(8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(sameHash)
                .array(),
            0,
            5)
        .none();
    for (String k : strings) {
      mixed.str(k).none();
    }
    Hostile.refused(() -> load(mixed.setitems().stop()), FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("more than 64 keys of one dict share a hash code");

    PickleBuilder onlyStrings = PickleBuilder.proto2().emptyDict().mark();
    for (String k : strings) {
      onlyStrings.str(k).none();
    }
    assertThat(Hostile.finishes(() -> (PickleDict) load(onlyStrings.setitems().stop())))
        .hasSize(128);
  }
}
