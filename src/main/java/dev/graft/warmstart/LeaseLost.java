package dev.graft.warmstart;

/** This worker no longer holds a run's lease (it expired and another worker took the run). */
class LeaseLost extends RuntimeException {
  LeaseLost(java.util.UUID run) {
    super("lost the lease on run " + run);
  }
}
