package dev.graft.warmstart.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.DType;
import dev.graft.plan.Init;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The same cases on {@code cuda:0}, compared with the CPU: the executor must give the same model
 * whichever device a worker has. Skipped where DJL sees no CUDA device, which includes every
 * machine running the CPU-only native library the default build ships.
 */
@Tag("gpu")
class DjlTensorEngineGpuTests {

  private static DjlTensorEngine cpu;
  private static DjlTensorEngine gpu;

  private static int gpuCount;

  @BeforeAll
  static void open() {
    gpuCount = EngineDevices.gpuCount();
    if (gpuCount > 0) {
      cpu = DjlTensorEngine.open("cpu");
      gpu = DjlTensorEngine.open("cuda:0");
    }
  }

  // Per test rather than per class, so every skipped test is listed with the reason in the reports.
  @BeforeEach
  void needsAGpu() {
    Assumptions.assumeTrue(
        gpuCount > 0, "no CUDA device visible to DJL (cpu-only native library or no GPU)");
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
      cpu.close();
    }
  }

  @Test
  void castsOnTheGpuEqualTheCpu() {
    assertThat(gpu.device()).isEqualTo("cuda:0");
    List<String> failures = new ArrayList<>();
    for (EngineExpectations.Cast c : EngineExpectations.CASTS) {
      ByteBuffer onGpu = gpu.cast(c.input(), c.from(), c.to(), c.shape());
      ByteBuffer onCpu = cpu.cast(c.input(), c.from(), c.to(), c.shape());
      List<String> diff = EngineExpectations.differences(onGpu, onCpu, c.to());
      if (!diff.isEmpty()) {
        failures.add(c + ": " + diff);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void overlapCopiesOnTheGpuEqualTheCpu() {
    List<String> failures = new ArrayList<>();
    for (EngineExpectations.Overlap c : EngineExpectations.OVERLAPS) {
      ByteBuffer onGpu =
          gpu.copyOverlap(
              c.source(), c.from(), c.sourceShape(), c.targetInitial(), c.to(), c.targetShape());
      ByteBuffer onCpu =
          cpu.copyOverlap(
              c.source(), c.from(), c.sourceShape(), c.targetInitial(), c.to(), c.targetShape());
      List<String> diff = EngineExpectations.differences(onGpu, onCpu, c.to());
      if (!diff.isEmpty()) {
        failures.add(c + ": " + diff);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void deterministicInitsOnTheGpuEqualTorch() {
    List<String> failures = new ArrayList<>();
    for (EngineExpectations.Init c : EngineExpectations.INITS) {
      if (c.error() != null) {
        continue;
      }
      ByteBuffer out =
          gpu.initialize(Init.of(c.scheme(), c.params()), c.dtype(), c.shape(), 0, "w");
      List<String> diff = EngineExpectations.differences(out, c.expected(), c.dtype());
      if (!diff.isEmpty()) {
        failures.add(c + ": " + diff);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void randomInitsAreReproducibleOnTheGpu() {
    Init kaiming = Init.of("kaiming_uniform", Map.of("a", Math.sqrt(5)));
    List<Long> shape = List.of(512L, 256L);
    ByteBuffer first = gpu.initialize(kaiming, DType.FLOAT32, shape, 11, "fc.weight");
    gpu.initialize(kaiming, DType.FLOAT32, shape, 11, "other.weight");
    assertThat(gpu.initialize(kaiming, DType.FLOAT32, shape, 11, "fc.weight")).isEqualTo(first);
    assertThat(gpu.initialize(kaiming, DType.FLOAT32, shape, 11, "other.weight"))
        .isNotEqualTo(first);
  }
}
