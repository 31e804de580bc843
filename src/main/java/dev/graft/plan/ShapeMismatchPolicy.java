package dev.graft.plan;

/** What happens when a checkpoint tensor's shape differs from its target entry's. */
public enum ShapeMismatchPolicy {
  /**
   * PyTorch's behaviour: the load fails with {@code size mismatch}, whatever {@code strict} says.
   */
  FAIL,
  /** Hugging Face's {@code ignore_mismatched_sizes}: the target keeps its initial value. */
  SKIP,
  /**
   * Copies the overlapping block (the leading {@code min(source, target)} indices of every
   * dimension) and keeps the target's initial value elsewhere. Tensors of different rank have no
   * overlap and are skipped as under {@link #SKIP}.
   */
  COPY_OVERLAP
}
