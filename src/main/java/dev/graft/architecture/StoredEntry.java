package dev.graft.architecture;

import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import dev.graft.plan.EntryKind;
import dev.graft.plan.Init;
import dev.graft.plan.TargetEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An architecture entry as {@link ArchitectureStore} keeps it: what the model expects, and where
 * its initial value lies in the blob.
 *
 * @param key the state-dict key
 * @param dtype the element type
 * @param shape the sizes
 * @param kind PARAMETER, BUFFER or UNKNOWN
 * @param requiresGrad whether it is trained
 * @param init the init scheme of a JSON entry as the client gave it and validation completed it
 *     ({@code scheme} and its parameters, in the client's order), else {@code null}
 * @param initialValue where the initial value lies in the blob, or {@code null} for JSON sources
 */
record StoredEntry(
    String key,
    DType dtype,
    List<Long> shape,
    EntryKind kind,
    boolean requiresGrad,
    Map<String, Object> init,
    TensorInfo initialValue) {

  /** The entry as the planner sees it. */
  TargetEntry toTarget() {
    Init scheme = null;
    if (init != null) {
      Map<String, Double> params = new LinkedHashMap<>();
      init.forEach(
          (k, v) -> {
            if (v instanceof Number n) {
              params.put(k, n.doubleValue());
            }
          });
      scheme = Init.of((String) init.get("scheme"), params);
    }
    return new TargetEntry(key, dtype, shape, kind, requiresGrad, initialValue != null, scheme);
  }

  /** Elements. */
  long numel() {
    long n = 1;
    for (long s : shape) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }
}
