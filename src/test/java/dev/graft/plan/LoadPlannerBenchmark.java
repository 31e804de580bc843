package dev.graft.plan;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: {@link LoadPlanner#plan} on 10,000 target entries against 10,000 checkpoint tensors, a third
 * of them behind a {@code module.} prefix (so suggestions are computed), a seventh of them
 * reshaped, under {@code COPY_OVERLAP} with a freeze pattern; and PyTorch's defaults on identical
 * keys. Not a test: timings are never asserted. Run with {@code bash bench/planner.sh}; figures in
 * the README.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LoadPlannerBenchmark {

  @Param({"10000"})
  int n;

  CheckpointIndex prefixed;
  CheckpointIndex identical;
  TargetArchitecture target;
  LoadOptions lenientOverlap;

  @Setup
  public void setUp() {
    List<TensorInfo> mixed = new ArrayList<>(n);
    List<TensorInfo> same = new ArrayList<>(n);
    List<TargetEntry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = "blocks." + (i / 10) + ".p" + (i % 10);
      long cols = i % 7 == 0 ? 5L : 4L;
      mixed.add(tensor((i % 3 == 0 ? "module." : "") + key, 4L));
      same.add(tensor(key, cols));
      entries.add(
          new TargetEntry(
              key, DType.FLOAT32, List.of(4L, cols), EntryKind.PARAMETER, true, true, null));
    }
    prefixed = new CheckpointIndex(CheckpointFormat.PYTORCH, "", mixed, Map.of(), Map.of());
    identical = new CheckpointIndex(CheckpointFormat.PYTORCH, "", same, Map.of(), Map.of());
    target = new TargetArchitecture("Net", entries);
    lenientOverlap =
        LoadOptions.defaults()
            .withStrict(false)
            .withOnShapeMismatch(ShapeMismatchPolicy.COPY_OVERLAP)
            .withFreeze(List.of("blocks.1*"));
  }

  private static TensorInfo tensor(String key, long cols) {
    return new TensorInfo(
        key,
        DType.FLOAT16,
        List.of(4L, cols),
        List.of(cols, 1L),
        0,
        key,
        0,
        8 * cols,
        ByteOrder.LITTLE_ENDIAN,
        false,
        null);
  }

  /** Prefixed keys, reshaped entries, overlap copies, freeze globs and key-rule suggestions. */
  @Benchmark
  public Report prefixedLenientOverlap() {
    return LoadPlanner.plan(prefixed, target, lenientOverlap);
  }

  /** PyTorch's defaults on a checkpoint that fits exactly. */
  @Benchmark
  public Report identicalStrict() {
    return LoadPlanner.plan(identical, target, LoadOptions.defaults());
  }
}
