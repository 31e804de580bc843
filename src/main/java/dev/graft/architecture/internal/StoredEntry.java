package dev.graft.architecture.internal;

import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.util.List;

/**
 * An entry as stored: what the model expects, and where its initial value lies in the blob.
 *
 * @param key the state-dict key
 * @param dtype the element type
 * @param shape the sizes
 * @param kind PARAMETER, BUFFER or UNKNOWN
 * @param requiresGrad whether it is trained
 * @param initJson the init scheme as JSON for JSON sources, else {@code null}
 * @param initialValue where the initial value lies in the blob, or {@code null} for JSON sources
 */
public record StoredEntry(
    String key,
    DType dtype,
    List<Long> shape,
    String kind,
    boolean requiresGrad,
    String initJson,
    TensorInfo initialValue) {

  private static final tools.jackson.databind.json.JsonMapper JSON =
      tools.jackson.databind.json.JsonMapper.builder().build();

  /** The entry as the planner sees it. */
  public dev.graft.plan.TargetEntry toTarget() {
    dev.graft.plan.InitScheme scheme = null;
    if (initJson != null) {
      java.util.Map<String, Object> m =
          JSON.readValue(
              initJson,
              new tools.jackson.core.type.TypeReference<java.util.Map<String, Object>>() {});
      java.util.Map<String, Double> params = new java.util.LinkedHashMap<>();
      m.forEach(
          (k, v) -> {
            if (v instanceof Number n) {
              params.put(k, n.doubleValue());
            }
          });
      scheme = new dev.graft.plan.InitScheme((String) m.get("scheme"), params);
    }
    return new dev.graft.plan.TargetEntry(
        key,
        dtype,
        shape,
        dev.graft.plan.EntryKind.valueOf(kind),
        requiresGrad,
        initialValue != null,
        scheme);
  }

  /** Elements. */
  public long numel() {
    long n = 1;
    for (long s : shape) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }
}
