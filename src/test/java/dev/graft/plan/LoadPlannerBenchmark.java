package dev.graft.plan;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Times {@link LoadPlanner#plan} on 10,000 target entries against 10,000 checkpoint tensors, a third of
 * them behind a {@code module.} prefix (so suggestions are computed), a seventh of them reshaped, under
 * {@code COPY_OVERLAP} with a freeze pattern. Not a test: timings are never asserted.
 *
 * <pre>
 * ./mvnw -B -q -o test-compile
 * java -cp target/classes:target/test-classes dev.graft.plan.LoadPlannerBenchmark
 * </pre>
 *
 * <p>Last printed (2 cores shared with other builds, load average 4): median 10.3 ms, best 6.7 ms per
 * plan.
 */
public final class LoadPlannerBenchmark {

  private LoadPlannerBenchmark() {}

  /** Runs the benchmark and prints the median and best time per plan. */
  public static void main(String[] args) {
    int n = 10_000;
    List<TensorInfo> tensors = new ArrayList<>(n);
    List<TargetEntry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = "blocks." + (i / 10) + ".p" + (i % 10);
      tensors.add(
          new TensorInfo((i % 3 == 0 ? "module." : "") + key, DType.FLOAT16, List.of(4L, 4L), List.of(4L, 1L), 0, key,
              0, 32, ByteOrder.LITTLE_ENDIAN, false, null));
      entries.add(
          new TargetEntry(key, DType.FLOAT32, List.of(4L, i % 7 == 0 ? 5L : 4L), EntryKind.PARAMETER, true, true, null));
    }
    CheckpointIndex checkpoint = new CheckpointIndex(CheckpointFormat.PYTORCH, "", tensors, Map.of(), Map.of());
    TargetArchitecture target = new TargetArchitecture("Net", entries);
    LoadOptions options =
        LoadOptions.defaults()
            .withStrict(false)
            .withOnShapeMismatch(ShapeMismatchPolicy.COPY_OVERLAP)
            .withFreeze(List.of("blocks.1*"));
    int rounds = 300;
    long[] nanos = new long[rounds];
    int sink = 0;
    for (int r = 0; r < rounds; r++) {
      long start = System.nanoTime();
      Report report = LoadPlanner.plan(checkpoint, target, options);
      nanos[r] = System.nanoTime() - start;
      sink += report.summary().loaded() + report.suggestedKeyRules().size();
    }
    long[] warm = java.util.Arrays.copyOfRange(nanos, rounds / 2, rounds);
    java.util.Arrays.sort(warm);
    System.out.printf(
        "10,000 x 10,000: median %.1f ms, best %.1f ms per plan (%d)%n",
        warm[warm.length / 2] / 1e6, warm[0] / 1e6, sink);
  }
}
