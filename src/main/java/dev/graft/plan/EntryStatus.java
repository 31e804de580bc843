package dev.graft.plan;

/** Where a target entry's value comes from. */
public enum EntryStatus {
  /** From a checkpoint tensor of the same shape. */
  LOADED,
  /** No checkpoint tensor: the target's own initial value, init scheme or default. */
  INITIALIZED,
  /** A checkpoint tensor of another shape matched the key. */
  SHAPE_MISMATCH
}
