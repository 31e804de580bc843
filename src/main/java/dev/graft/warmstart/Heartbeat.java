package dev.graft.warmstart;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An attempt's progress, and the lease it holds while it makes it. The lease is renewed on a
 * schedule of its own (every {@code graft.worker.heartbeat}), whatever the attempt is doing: one
 * tensor slower than the lease does not lose it. Each beat records the tensors and bytes written so
 * far and reads back whether a cancel was asked for; the attempt's thread learns of a cancel or a
 * lost lease at its next {@link #check()}, which it makes between tensors and between the chunks of
 * a large one. A cancel asked on this replica is signalled directly ({@link #cancel()}), without
 * waiting for a beat.
 *
 * <p>When the database cannot be reached the beats keep trying; once a whole lease has passed
 * without one, the attempt stops as if its lease were lost, since another worker may claim the run
 * by then.
 */
final class Heartbeat implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

  private final RunStore runs;
  private final UUID run;
  private final String owner;
  private final Duration lease;
  private final AtomicInteger tensors = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  private volatile long lastRenewed = System.nanoTime();
  private volatile Supplier<RuntimeException> stop;
  private final Runnable onClose;
  private final RunMetrics metrics;
  private ScheduledFuture<?> schedule;
  private volatile BooleanSupplier stopping = () -> false;

  Heartbeat(RunStore runs, UUID run, String owner, Duration lease) {
    this(runs, run, owner, lease, null, () -> {});
  }

  Heartbeat(
      RunStore runs, UUID run, String owner, Duration lease, RunMetrics metrics, Runnable onClose) {
    this.metrics = metrics;
    this.onClose = onClose;
    this.runs = runs;
    this.run = run;
    this.owner = owner;
    this.lease = lease;
  }

  /** Starts beating every {@code interval} on the scheduler. */
  Heartbeat start(ScheduledExecutorService scheduler, Duration interval) {
    long every = Math.max(1, interval.toMillis());
    schedule =
        scheduler.scheduleWithFixedDelay(this::scheduledBeat, every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The run this heartbeat keeps. */
  UUID run() {
    return run;
  }

  /**
   * Counts work done and checks whether the attempt must stop.
   *
   * @param tensors output tensors finished (counted once, whatever the number of formats)
   * @param bytes output bytes written, over every format
   * @throws LeaseLost when another worker holds the run now
   * @throws RunCancelled when a cancel was asked for
   * @throws RunHandedBack when the worker is shutting down
   */
  void add(int tensors, long bytes) {
    this.tensors.addAndGet(tensors);
    this.bytes.addAndGet(bytes);
    if (metrics != null) {
      metrics.progress(tensors, bytes);
    }
    check();
  }

  /**
   * Throws when the attempt must stop.
   *
   * @throws LeaseLost when another worker holds the run now
   * @throws RunCancelled when a cancel was asked for
   * @throws RunHandedBack when the worker is shutting down
   */
  void check() {
    if (stopping.getAsBoolean()) {
      throw new RunHandedBack(run);
    }
    Supplier<RuntimeException> s = stop;
    if (s != null) {
      throw s.get();
    }
  }

  /** Gives the run back at the next check once {@code stopping} turns true (a worker's SIGTERM). */
  void stopWhen(BooleanSupplier stopping) {
    this.stopping = stopping;
  }

  /** Asks the attempt to stop as cancelled at its next check (a cancel asked on this replica). */
  void cancel() {
    if (stop == null) {
      stop = RunCancelled::new;
    }
  }

  /**
   * Records the progress and renews the lease now, on the caller's thread.
   *
   * @throws LeaseLost when another worker holds the run now
   * @throws RunCancelled when a cancel was asked for
   */
  void beat() {
    renew();
    check();
  }

  private void scheduledBeat() {
    try {
      renew();
    } catch (RuntimeException e) {
      long silent = System.nanoTime() - lastRenewed;
      if (silent >= lease.toNanos()) {
        log.warn(
            "run {}: lease not renewed for {} ms ({}); stopping the attempt",
            run,
            silent / 1_000_000,
            e.toString());
        stop = () -> new LeaseLost(run);
      } else {
        log.warn("run {}: heartbeat failed, retrying: {}", run, e.toString());
      }
    }
  }

  private void renew() {
    boolean cancel =
        runs.heartbeat(run, owner, lease, tensors.get(), bytes.get())
            .orElseGet(
                () -> {
                  stop = () -> new LeaseLost(run);
                  return false;
                });
    if (cancel) {
      cancel();
    } else {
      lastRenewed = System.nanoTime();
    }
  }

  /** Stops beating; a beat under way finishes. */
  @Override
  public void close() {
    if (schedule != null) {
      schedule.cancel(false);
    }
    onClose.run();
  }
}
