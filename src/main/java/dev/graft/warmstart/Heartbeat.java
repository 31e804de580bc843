package dev.graft.warmstart;

import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * An attempt's progress, and the lease it holds while it makes it: every heartbeat interval the
 * tensors and bytes written so far are recorded and the lease renewed, and what the row says back
 * is obeyed (a cancel ends the attempt, another owner means it was taken over).
 */
final class Heartbeat {

  private final RunStore runs;
  private final UUID run;
  private final String owner;
  private final Duration interval;
  private final Duration lease;
  private final BooleanSupplier stopping;
  private long last = System.nanoTime();
  private int tensors;
  private long bytes;

  Heartbeat(
      RunStore runs,
      UUID run,
      String owner,
      Duration interval,
      Duration lease,
      BooleanSupplier stopping) {
    this.stopping = stopping;
    this.runs = runs;
    this.run = run;
    this.owner = owner;
    this.interval = interval;
    this.lease = lease;
  }

  /**
   * Counts work done, and beats when an interval has passed since the last beat.
   *
   * @param tensors output tensors finished (counted once, whatever the number of formats)
   * @param bytes output bytes written, over every format
   * @throws LeaseLost when another worker holds the run now
   * @throws RunCancelled when a cancel was asked for
   * @throws RunHandedBack when the worker is shutting down
   */
  void add(int tensors, long bytes) {
    if (stopping.getAsBoolean()) {
      throw new RunHandedBack(run);
    }
    this.tensors += tensors;
    this.bytes += bytes;
    if (System.nanoTime() - last >= interval.toNanos()) {
      beat();
    }
  }

  /**
   * Records the progress and renews the lease now.
   *
   * @throws LeaseLost when another worker holds the run now
   * @throws RunCancelled when a cancel was asked for
   */
  void beat() {
    last = System.nanoTime();
    boolean cancel =
        runs.heartbeat(run, owner, lease, tensors, bytes).orElseThrow(() -> new LeaseLost(run));
    if (cancel) {
      throw new RunCancelled();
    }
  }
}
