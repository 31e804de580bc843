package dev.graft.plan;

/** Which element type a loaded entry ends up with. */
public enum DtypePolicy {
  /** Cast to the target's dtype, as {@code param.copy_(input)} does. */
  TARGET,
  /** Keep the checkpoint's dtype. */
  CHECKPOINT
}
