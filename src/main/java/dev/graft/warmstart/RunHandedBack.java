package dev.graft.warmstart;

/** The worker is shutting down and gives a run back to the queue before its next tensor. */
class RunHandedBack extends RuntimeException {
  RunHandedBack(java.util.UUID run) {
    super("run " + run + " handed back: the worker is shutting down");
  }
}
