package dev.graft.plan;

/** Whether a load would succeed. */
public enum Outcome {
  /** The load succeeds. */
  OK,
  /** PyTorch would raise; the report's {@code error} holds its text. */
  FAILED
}
