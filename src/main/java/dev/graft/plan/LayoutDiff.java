package dev.graft.plan;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares two state-dict layouts key by key: what the right side added and removed, which keys
 * changed shape or dtype, how many stayed as they were, and the key rules that, applied to the left
 * side's keys, would match more of the right side's (the planner's suggestion engine, with the left
 * side as the checkpoint and the right as the target).
 *
 * <p>Linear in the number of keys; suggestions are bounded by {@link
 * LoadPlanner#DEFAULT_PATTERN_TIME} and cut short rather than refused.
 */
public final class LayoutDiff {

  private LayoutDiff() {}

  /**
   * One key of a layout.
   *
   * @param key the state-dict key
   * @param dtype its dtype
   * @param shape its shape
   */
  public record Key(String key, DType dtype, List<Long> shape) {

    /** Checks the fields and copies the shape. */
    public Key {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(dtype, "dtype");
      shape = List.copyOf(shape);
    }
  }

  /**
   * The API's view of one key that is on one side only.
   *
   * @param key the key
   * @param dtype torch's dtype name
   * @param shape the shape
   */
  public record Side(String key, String dtype, List<Long> shape) {}

  /**
   * A key whose shape differs.
   *
   * @param key the key
   * @param leftShape its shape on the left
   * @param rightShape its shape on the right
   */
  public record ShapeChange(String key, List<Long> leftShape, List<Long> rightShape) {}

  /**
   * A key whose dtype differs.
   *
   * @param key the key
   * @param leftDtype its dtype on the left, torch's name
   * @param rightDtype its dtype on the right
   */
  public record DtypeChange(String key, String leftDtype, String rightDtype) {}

  /**
   * The comparison.
   *
   * @param added keys only on the right, in the right side's order
   * @param removed keys only on the left, in the left side's order
   * @param shapeChanged keys on both sides with other shapes, in the left side's order
   * @param dtypeChanged keys on both sides with other dtypes, in the left side's order
   * @param unchanged how many keys are on both sides with the same shape and dtype
   * @param suggestedKeyRules key rules that, applied to the left keys, would match more right keys
   *     as they are (same key and shape), best first
   */
  public record Result(
      List<Side> added,
      List<Side> removed,
      List<ShapeChange> shapeChanged,
      List<DtypeChange> dtypeChanged,
      int unchanged,
      List<Report.SuggestedKeyRule> suggestedKeyRules) {}

  /** Compares {@code left} with {@code right}. */
  public static Result compare(List<Key> left, List<Key> right) {
    Map<String, Key> leftByKey = new HashMap<>(left.size() * 2);
    for (Key k : left) {
      leftByKey.put(k.key(), k);
    }
    Map<String, Key> rightByKey = new HashMap<>(right.size() * 2);
    for (Key k : right) {
      rightByKey.put(k.key(), k);
    }
    List<Side> added = new ArrayList<>();
    for (Key k : right) {
      if (!leftByKey.containsKey(k.key())) {
        added.add(side(k));
      }
    }
    List<Side> removed = new ArrayList<>();
    List<ShapeChange> shapes = new ArrayList<>();
    List<DtypeChange> dtypes = new ArrayList<>();
    int unchanged = 0;
    int matchedAsIs = 0;
    for (Key l : left) {
      Key r = rightByKey.get(l.key());
      if (r == null) {
        removed.add(side(l));
        continue;
      }
      boolean sameShape = l.shape().equals(r.shape());
      boolean sameDtype = l.dtype() == r.dtype();
      if (!sameShape) {
        shapes.add(new ShapeChange(l.key(), l.shape(), r.shape()));
      }
      if (!sameDtype) {
        dtypes.add(new DtypeChange(l.key(), l.dtype().torchName(), r.dtype().torchName()));
      }
      if (sameShape && sameDtype) {
        unchanged++;
      }
      if (LoadPlanner.loadsAsIs(l.shape(), r.shape())) {
        matchedAsIs++;
      }
    }
    List<Report.SuggestedKeyRule> suggestions = List.of();
    if (!removed.isEmpty() && (!added.isEmpty() || !shapes.isEmpty())) {
      Deadline deadline = Deadline.after(LoadPlanner.DEFAULT_PATTERN_TIME);
      suggestions =
          KeyRuleSuggester.suggest(
              LoadPlanner.Rewritten.of(asIndex(left), List.of(), deadline),
              asTarget(right),
              matchedAsIs,
              deadline);
    }
    return new Result(added, removed, shapes, dtypes, unchanged, suggestions);
  }

  private static Side side(Key k) {
    return new Side(k.key(), k.dtype().torchName(), k.shape());
  }

  private static CheckpointIndex asIndex(List<Key> keys) {
    List<TensorInfo> tensors = new ArrayList<>(keys.size());
    for (Key k : keys) {
      List<Long> strides = new ArrayList<>();
      long stride = 1;
      for (int i = k.shape().size() - 1; i >= 0; i--) {
        strides.add(0, stride);
        stride *= k.shape().get(i);
      }
      tensors.add(
          new TensorInfo(
              k.key(),
              k.dtype(),
              k.shape(),
              strides,
              0,
              k.key(),
              0,
              0,
              ByteOrder.LITTLE_ENDIAN,
              false,
              null));
    }
    return new CheckpointIndex(CheckpointFormat.SAFETENSORS, "", tensors, Map.of(), Map.of());
  }

  private static TargetArchitecture asTarget(List<Key> keys) {
    List<TargetEntry> entries = new ArrayList<>(keys.size());
    for (Key k : keys) {
      entries.add(
          new TargetEntry(k.key(), k.dtype(), k.shape(), EntryKind.UNKNOWN, false, false, null));
    }
    return new TargetArchitecture("right", entries);
  }
}
