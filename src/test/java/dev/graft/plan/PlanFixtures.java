package dev.graft.plan;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Indexes and targets built in code for the planner's unit tests. */
final class PlanFixtures {

  static final LoadOptions STRICT = LoadOptions.defaults();
  static final LoadOptions LENIENT = LoadOptions.defaults().withStrict(false);

  private PlanFixtures() {}

  static List<Long> shape(long... dims) {
    return Arrays.stream(dims).boxed().toList();
  }

  static TensorInfo tensor(String key, DType dtype, long... dims) {
    List<Long> shape = shape(dims);
    List<Long> strides = new ArrayList<>();
    long stride = 1;
    for (int i = shape.size() - 1; i >= 0; i--) {
      strides.add(0, stride);
      stride *= shape.get(i);
    }
    return new TensorInfo(
        key, dtype, shape, strides, 0, key, 0, 0, ByteOrder.LITTLE_ENDIAN, false, null);
  }

  static TensorInfo f32(String key, long... dims) {
    return tensor(key, DType.FLOAT32, dims);
  }

  static CheckpointIndex checkpoint(TensorInfo... tensors) {
    return new CheckpointIndex(CheckpointFormat.PYTORCH, "", List.of(tensors), Map.of(), Map.of());
  }

  static TargetEntry param(String key, long... dims) {
    return new TargetEntry(key, DType.FLOAT32, shape(dims), EntryKind.PARAMETER, true, true, null);
  }

  static TargetEntry param(String key, DType dtype, long... dims) {
    return new TargetEntry(key, dtype, shape(dims), EntryKind.PARAMETER, true, true, null);
  }

  static TargetArchitecture model(TargetEntry... entries) {
    return new TargetArchitecture("Net", List.of(entries));
  }

  static Report.Entry entry(Report report, String key) {
    return report.entries().stream()
        .filter(e -> e.targetKey().equals(key))
        .findFirst()
        .orElseThrow();
  }
}
