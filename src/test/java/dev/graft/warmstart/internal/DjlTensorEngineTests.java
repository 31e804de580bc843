package dev.graft.warmstart.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.DType;
import dev.graft.plan.Init;
import dev.graft.plan.InitScheme;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DJL engine on the CPU, checked bit for bit against torch 1.13's own results. */
class DjlTensorEngineTests {

  private static DjlTensorEngine engine;

  @BeforeAll
  static void open() {
    engine = DjlTensorEngine.open("cpu");
  }

  @AfterAll
  static void close() {
    engine.close();
  }

  @Test
  void castsEqualTorchsCopyBitForBitForEveryPairOfSupportedDtypes() {
    // Every ordered pair of the 10 dtypes the engine handles, plus a rank-2 and a 0-dim case.
    assertThat(EngineExpectations.CASTS).hasSize(10 * 10 + 2);
    List<String> failures = new ArrayList<>();
    for (EngineExpectations.Cast c : EngineExpectations.CASTS) {
      ByteBuffer out = engine.cast(c.input(), c.from(), c.to(), c.shape());
      assertThat(out.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
      List<String> diff = EngineExpectations.differences(out, c.expected(), c.to());
      if (!diff.isEmpty()) {
        failures.add(c + ": " + diff);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void overlapCopiesEqualTorchsSlicedCopy() {
    List<String> failures = new ArrayList<>();
    for (EngineExpectations.Overlap c : EngineExpectations.OVERLAPS) {
      ByteBuffer initial = c.targetInitial().duplicate();
      ByteBuffer out =
          engine.copyOverlap(
              c.source(), c.from(), c.sourceShape(), initial, c.to(), c.targetShape());
      List<String> diff = EngineExpectations.differences(out, c.expected(), c.to());
      if (!diff.isEmpty()) {
        failures.add(c + ": " + diff);
      }
      // The caller's initial value is an input, never written to.
      assertThat(initial).isEqualTo(c.targetInitial());
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void zerosOnesAndConstantEqualTorchsInitAndRefuseWhatTorchRefuses() {
    List<String> failures = new ArrayList<>();
    for (EngineExpectations.Init c : EngineExpectations.INITS) {
      Init scheme = Init.of(c.scheme(), c.params());
      if (c.error() != null) {
        assertThatThrownBy(() -> engine.initialize(scheme, c.dtype(), c.shape(), 0, "w"))
            .as(c.toString())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("without overflow")
            .hasMessageContaining("'w'");
        continue;
      }
      ByteBuffer out = engine.initialize(scheme, c.dtype(), c.shape(), 0, "w");
      List<String> diff = EngineExpectations.differences(out, c.expected(), c.dtype());
      if (!diff.isEmpty()) {
        failures.add(c + ": " + diff);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void randomSchemesAreReproducibleFromSeedAndKey() {
    Init normal = Init.of("normal", Map.of("mean", 0.0, "std", 1.0));
    List<Long> shape = List.of(64L, 32L);
    ByteBuffer first = engine.initialize(normal, DType.FLOAT32, shape, 7, "a.weight");
    // Something else draws in between: the entry's values must not depend on it.
    engine.initialize(normal, DType.FLOAT32, shape, 7, "b.weight");
    ByteBuffer again = engine.initialize(normal, DType.FLOAT32, shape, 7, "a.weight");
    ByteBuffer otherKey = engine.initialize(normal, DType.FLOAT32, shape, 7, "b.weight");
    ByteBuffer otherSeed = engine.initialize(normal, DType.FLOAT32, shape, 8, "a.weight");

    assertThat(again).isEqualTo(first);
    assertThat(otherKey).isNotEqualTo(first);
    assertThat(otherSeed).isNotEqualTo(first);
    try (DjlTensorEngine second = DjlTensorEngine.open("cpu")) {
      assertThat(second.initialize(normal, DType.FLOAT32, shape, 7, "a.weight")).isEqualTo(first);
    }
  }

  @Test
  void randomSchemesAreReproducibleUnderConcurrency() throws Exception {
    Init uniform = Init.of("uniform", Map.of("a", -1.0, "b", 1.0));
    List<Long> shape = List.of(256L, 64L);
    ByteBuffer expected = engine.initialize(uniform, DType.FLOAT32, shape, 3, "k");
    List<Thread> threads = new ArrayList<>();
    List<ByteBuffer> results = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 4; t++) {
      String key = t % 2 == 0 ? "k" : "other";
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < 5; i++) {
                  ByteBuffer b = engine.initialize(uniform, DType.FLOAT32, shape, 3, key);
                  if (key.equals("k")) {
                    results.add(b);
                  }
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(results).hasSize(10).allSatisfy(b -> assertThat(b).isEqualTo(expected));
  }

  @Test
  void normalHasTheRequestedMeanAndStd() {
    double[] v =
        floats(
            engine.initialize(
                Init.of("normal", Map.of("mean", 0.5, "std", 2.0)),
                DType.FLOAT32,
                List.of(200L, 300L),
                0,
                "n"));
    assertThat(mean(v)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.03));
    assertThat(std(v)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.03));
  }

  @Test
  void uniformStaysInItsBounds() {
    double[] v =
        floats(
            engine.initialize(
                Init.of("uniform", Map.of("a", -3.0, "b", 5.0)),
                DType.FLOAT32,
                List.of(50_000L),
                1,
                "u"));
    assertThat(min(v)).isGreaterThanOrEqualTo(-3.0).isLessThan(-2.99);
    assertThat(max(v)).isLessThanOrEqualTo(5.0).isGreaterThan(4.99);
    assertThat(mean(v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.05));
  }

  @Test
  void kaimingUniformUsesTorchsBound() {
    // nn.Conv2d(128, 256, 3)'s weight with a = sqrt(5), torch's default for Conv and Linear.
    double a = Math.sqrt(5);
    List<Long> shape = List.of(256L, 128L, 3L, 3L);
    double bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3.0 / (128 * 9));
    double[] v =
        floats(
            engine.initialize(
                Init.of("kaiming_uniform", Map.of("a", a)), DType.FLOAT32, shape, 0, "c"));
    assertThat(max(Math.abs(min(v)), max(v)))
        .isLessThanOrEqualTo(bound * (1 + 1e-6))
        .isGreaterThan(bound * 0.999);
    assertThat(std(v))
        .isCloseTo(bound / Math.sqrt(3), org.assertj.core.data.Offset.offset(bound * 0.01));
    assertThat(mean(v)).isCloseTo(0.0, org.assertj.core.data.Offset.offset(bound * 0.01));
  }

  @Test
  void xavierUniformUsesTorchsBoundInFloat16() {
    List<Long> shape = List.of(300L, 500L);
    double bound = 2.0 * Math.sqrt(6.0 / (500 + 300));
    ByteBuffer out =
        engine.initialize(
            Init.of("xavier_uniform", Map.of("gain", 2.0)), DType.FLOAT16, shape, 0, "x");
    assertThat(out.remaining()).isEqualTo(300 * 500 * 2);
    // float16 -> float32 is exact, so the engine's own cast can decode the values.
    double[] v = floats(engine.cast(out, DType.FLOAT16, DType.FLOAT32, shape));
    // float16 rounding may land on the bound itself.
    assertThat(max(Math.abs(min(v)), max(v)))
        .isLessThanOrEqualTo(bound * (1 + 1e-3))
        .isGreaterThan(bound * 0.99);
    assertThat(std(v))
        .isCloseTo(bound / Math.sqrt(3), org.assertj.core.data.Offset.offset(bound * 0.01));
  }

  @Test
  void unsupportedDtypesAreRefusedBeforeReachingTheNativeLibraryButStillCopy() {
    ByteBuffer u16 =
        ByteBuffer.allocate(4)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putShort((short) 7)
            .putShort((short) -9)
            .flip();
    for (DType d :
        List.of(
            DType.UINT16,
            DType.UINT32,
            DType.UINT64,
            DType.COMPLEX64,
            DType.COMPLEX128,
            DType.FLOAT8_E4M3FN,
            DType.FLOAT8_E5M2)) {
      assertThat(engine.supports(d)).as(d.torchName()).isFalse();
    }
    assertThat(engine.supports(DType.BFLOAT16)).isTrue();
    assertThat(engine.supports(DType.INT16)).isTrue();
    ByteBuffer c64 =
        ByteBuffer.allocate(16).putFloat(1f).putFloat(-2f).putFloat(3f).putFloat(0.5f).flip();
    assertThat(engine.copy(c64, DType.COMPLEX64, List.of(2L))).isEqualTo(c64);
    assertThat(engine.copy(u16, DType.UINT16, List.of(2L))).isEqualTo(u16);
    assertThat(u16.position()).isZero();

    assertThatThrownBy(() -> engine.cast(u16, DType.UINT16, DType.FLOAT32, List.of(2L)))
        .isInstanceOf(EngineUnsupported.class)
        .hasMessageContaining("uint16");
    ByteBuffer f32 = ByteBuffer.allocate(8);
    EngineUnsupported e =
        (EngineUnsupported)
            org.assertj.core.api.Assertions.catchThrowable(
                () -> engine.cast(f32, DType.FLOAT32, DType.UINT16, List.of(2L)));
    assertThat(e.forKey("enc.weight").getMessage()).contains("'enc.weight'", "uint16");
    assertThatThrownBy(
            () ->
                engine.initialize(Init.of("zeros", Map.of()), DType.UINT32, List.of(2L), 0, "buf"))
        .isInstanceOf(EngineUnsupported.class)
        .hasMessageContaining("'buf'")
        .hasMessageContaining("uint32");
    assertThatThrownBy(
            () ->
                engine.copyOverlap(
                    f32,
                    DType.FLOAT32,
                    List.of(2L),
                    ByteBuffer.allocate(24),
                    DType.COMPLEX64,
                    List.of(3L)))
        .isInstanceOf(EngineUnsupported.class)
        .hasMessageContaining("complex64");
  }

  @Test
  void bfloat16RandomInitIsReproducibleAndInBounds() {
    Init uniform = Init.of("uniform", Map.of("a", -0.5, "b", 0.5));
    List<Long> shape = List.of(100L, 100L);
    ByteBuffer out = engine.initialize(uniform, DType.BFLOAT16, shape, 5, "emb");
    assertThat(out.remaining()).isEqualTo(100 * 100 * 2);
    assertThat(engine.initialize(uniform, DType.BFLOAT16, shape, 5, "emb")).isEqualTo(out);
    double[] v = floats(engine.cast(out, DType.BFLOAT16, DType.FLOAT32, shape));
    assertThat(min(v)).isGreaterThanOrEqualTo(-0.5);
    assertThat(max(v)).isLessThanOrEqualTo(0.5);
    assertThat(mean(v)).isCloseTo(0.0, org.assertj.core.data.Offset.offset(0.01));
  }

  @Test
  void inputsAreReadFromTheirPositionAndLeftUntouched() {
    ByteBuffer direct = ByteBuffer.allocateDirect(3 + 8).order(ByteOrder.BIG_ENDIAN);
    direct.position(3);
    ByteBuffer floats =
        direct.slice().order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2.75f).flip();
    direct.position(3);
    ByteBuffer out = engine.cast(direct, DType.FLOAT32, DType.FLOAT64, List.of(2L));
    assertThat(direct.position()).isEqualTo(3);
    assertThat(out.getDouble(0)).isEqualTo(1.5);
    assertThat(out.getDouble(8)).isEqualTo(-2.75);
    assertThat(floats.getFloat(0)).isEqualTo(1.5f);
  }

  @Test
  void refusesWrongSizesRanksAndSchemes() {
    assertThatThrownBy(
            () -> engine.cast(ByteBuffer.allocate(7), DType.FLOAT32, DType.FLOAT16, List.of(2L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 8");
    assertThatThrownBy(
            () ->
                engine.copyOverlap(
                    ByteBuffer.allocate(8),
                    DType.FLOAT32,
                    List.of(2L),
                    ByteBuffer.allocate(8),
                    DType.FLOAT32,
                    List.of(1L, 2L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ranks");
    assertThatThrownBy(
            () ->
                engine.initialize(
                    Init.of("kaiming_uniform", Map.of()), DType.FLOAT32, List.of(4L), 0, "bias"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bias'")
        .hasMessageContaining("fewer than 2 dimensions");
    assertThatThrownBy(
            () ->
                engine.initialize(Init.of("normal", Map.of()), DType.INT64, List.of(4L), 0, "idx"))
        .isInstanceOf(EngineUnsupported.class)
        .hasMessageContaining("'idx'");
    assertThatThrownBy(
            () ->
                engine.initialize(
                    Init.of("constant", Map.of()), DType.FLOAT32, List.of(4L), 0, "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'value'");
    assertThatThrownBy(
            () ->
                engine.initialize(
                    Init.of("orthogonal", Map.of()), DType.FLOAT32, List.of(4L, 4L), 0, "o"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("orthogonal");
  }

  @Test
  void emptyTensorsGiveEmptyOutputs() {
    assertThat(
            engine
                .cast(ByteBuffer.allocate(0), DType.FLOAT32, DType.FLOAT16, List.of(0L, 3L))
                .remaining())
        .isZero();
    assertThat(
            engine
                .initialize(
                    Init.of("kaiming_uniform", Map.of()), DType.FLOAT32, List.of(0L), 0, "e")
                .remaining())
        .isZero();
  }

  @Test
  void devicesListTheCpuAndTheRequestedGpuMustExist() {
    assertThat(engine.device()).isEqualTo("cpu");
    assertThat(EngineDevices.devices()).contains("cpu");
    // The libtorch the build put on the classpath: 2.7.1, or 2.5.1 under the cuda profile.
    assertThat(EngineDevices.engineVersion())
        .isEqualTo(System.getProperty("graft.pytorch.version", "2.7.1"));
    int gpus = EngineDevices.gpuCount();
    assertThat(EngineDevices.defaultDevice()).isEqualTo(gpus > 0 ? "cuda:0" : "cpu");
    try (DjlTensorEngine auto = DjlTensorEngine.open(null)) {
      assertThat(auto.device()).isEqualTo(EngineDevices.defaultDevice());
    }
    assertThatThrownBy(() -> DjlTensorEngine.open("cuda:" + gpus))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DjlTensorEngine.open("tpu"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static double[] floats(ByteBuffer b) {
    int n = b.remaining() / 4;
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = b.getFloat(4 * i);
    }
    return v;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  private static double std(double[] v) {
    double m = mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / (v.length - 1));
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElseThrow();
  }

  private static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElseThrow();
  }

  private static double max(double a, double b) {
    return Math.max(a, b);
  }

  @Test
  void shouldComputeEveryInitSchemeWithItsDefaults() {
    for (InitScheme scheme : InitScheme.values()) {
      Map<String, Double> required = new java.util.HashMap<>();
      for (InitScheme.Parameter p : scheme.parameters()) {
        if (p.defaultValue() == null) {
          required.put(p.name(), 0.5);
        }
      }
      ByteBuffer out =
          engine.initialize(
              new Init(scheme, required), DType.FLOAT32, List.of(4L, 3L), 0, "w." + scheme);
      assertThat(out.remaining()).as(scheme.wireName()).isEqualTo(48);
    }
  }

  @Test
  void shouldCastATensorLargerThanASliceElementByElement() {
    int m = DjlTensorEngine.CAST_CHUNK_BYTES / 4 + 12345;
    int n = 2 * m; // a [2, m] tensor: three slices, the last partial
    java.nio.ByteBuffer source =
        java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      source.putFloat(4 * i, i * 0.5f - 7);
    }
    java.nio.ByteBuffer out =
        engine.cast(
            source,
            dev.graft.format.DType.FLOAT32,
            dev.graft.format.DType.FLOAT64,
            java.util.List.of(2L, (long) m));
    assertThat(out.remaining()).isEqualTo(8 * n);
    for (int i = 0; i < n; i += 997) {
      assertThat(out.getDouble(8 * i)).as("element " + i).isEqualTo((double) (i * 0.5f - 7));
    }
    assertThat(out.getDouble(8 * (n - 1))).isEqualTo((double) ((n - 1) * 0.5f - 7));
  }
}
