package dev.graft.plan;

/** What executing the plan does to a target entry; {@code null} in a failed plan. */
public enum EntryAction {
  /** Copied from the checkpoint, same dtype. */
  COPIED,
  /** Copied from the checkpoint and converted to another dtype. */
  CAST,
  /** The overlapping block copied from a checkpoint tensor of another shape. */
  COPIED_OVERLAP,
  /** The target's own initial value or its init scheme. */
  INITIALIZED,
  /** A shape mismatch under {@link ShapeMismatchPolicy#SKIP}: the initial value is kept. */
  SKIPPED,
  /** BatchNorm's {@code num_batches_tracked} filled with 0, as PyTorch does for old checkpoints. */
  DEFAULTED
}
