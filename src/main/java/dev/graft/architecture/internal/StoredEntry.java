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

  /** Elements. */
  public long numel() {
    long n = 1;
    for (long s : shape) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }
}
