package dev.graft.warmstart;

/** A cancel was asked for while the run was executing. */
class RunCancelled extends RuntimeException {
  RunCancelled() {
    super("cancelled");
  }
}
