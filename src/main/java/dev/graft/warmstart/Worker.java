package dev.graft.warmstart;

import dev.graft.shared.GraftProperties;
import dev.graft.warmstart.internal.DjlTensorEngine;
import dev.graft.warmstart.internal.EngineUnsupported;
import dev.graft.warmstart.internal.TensorEngine;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The worker role: threads that claim runs from the queue, execute them on this process's device,
 * and end them. A run that fails with a fault is given back for another attempt until its attempts
 * are spent; one that can never succeed (an unsupported dtype, a malformed plan) fails at once.
 * Started only when {@code graft.roles} includes {@code worker}.
 *
 * <p>On shutdown (SIGTERM) the worker stops claiming, and a thread in a run gives it back to the
 * queue before its next tensor, without counting the attempt, so another worker takes it at once
 * rather than after the lease; this happens in the first lifecycle phase, while the database is
 * still there.
 */
@Component
class Worker implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  /** How long a run cut short by an outage waits before it is claimed again. */
  static final java.time.Duration OUTAGE_RETRY = java.time.Duration.ofSeconds(5);

  private final RunStore runs;
  private final RunWakeups wakeups;
  private final RunExecutor executor;
  private final GraftProperties properties;
  private final String owner;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean stopping;
  private final Object wakeUp = new Object();
  private final List<Thread> threads = new ArrayList<>();
  private volatile String device;
  private volatile String engineError;

  private final RunMetrics metrics;

  Worker(
      RunStore runs,
      RunWakeups wakeups,
      RunExecutor executor,
      GraftProperties properties,
      RunMetrics metrics) {
    this.metrics = metrics;
    this.runs = runs;
    this.wakeups = wakeups;
    this.executor = executor;
    this.properties = properties;
    this.owner = hostname() + "/" + UUID.randomUUID();
  }

  @Override
  public void start() {
    if (!properties.isWorker() || !running.compareAndSet(false, true)) {
      return;
    }
    stopping = false;
    removeAbandonedWorkFolders();
    wakeups.start();
    for (int i = 0; i < properties.worker().concurrency(); i++) {
      Thread t = new Thread(this::loop, "graft-worker-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    log.info("worker {} started with {} thread(s)", owner, threads.size());
  }

  /**
   * Stops claiming, has every running run handed back, and waits for the threads, at most one
   * lease: a thread still inside one long tensor by then is left to the JVM's exit, and its run to
   * the lease. Threads are woken rather than interrupted, since an interrupt closes the run's open
   * file channels under it.
   */
  @Override
  public void stop() {
    if (!running.getAndSet(false)) {
      return;
    }
    wakeups.stop();
    stopping = true;
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
    wakeups.wake(); // the idle threads wait in RunWakeups.await
    long deadline = System.nanoTime() + properties.worker().lease().toNanos();
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn("worker thread {} did not stop within the lease; leaving it to exit", t.getName());
      }
    }
    threads.clear();
    log.info("worker {} stopped", owner);
  }

  @Override
  public boolean isRunning() {
    return running.get();
  }

  /**
   * A worker thread's life: open the engine, claim and execute runs until stopped. Nothing a run
   * does ends the thread: a failure (an {@link Error} such as running out of memory included) ends
   * that attempt, and a failure outside a run, or an engine that cannot be opened, is retried after
   * a pause that grows to a minute, with {@link #health()} saying why in the meantime.
   */
  private void loop() {
    long pause = 1000;
    while (running.get()) {
      try (TensorEngine engine = DjlTensorEngine.open(requestedDevice())) {
        device = engine.device();
        engineError = null;
        pause = 1000;
        while (running.get()) {
          boolean worked = false;
          // Read before looking, so a run queued while we look wakes the wait below at once.
          long seen = wakeups.generation();
          try {
            runs.sweepAbandoned();
            worked = runOnce(engine);
          } catch (RuntimeException e) {
            log.error("worker loop failed; retrying after a pause", e);
          }
          if (!worked) {
            // Until a submit's NOTIFY wakes us (RunWakeups), or the poll interval as a fallback;
            // stop() wakes us too.
            wakeups.await(seen, properties.worker().pollInterval());
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable e) {
        engineError = e.toString();
        log.error(
            "worker {}: {} outside a run; the thread goes on after {} ms", owner, e, pause, e);
        try {
          pause(pause);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          return;
        }
        pause = Math.min(60_000, pause * 2);
      }
    }
  }

  /**
   * Whether this process's worker can take runs: every thread alive and its engine open. A worker
   * that is not running (role off) reports {@code null}.
   */
  Health health() {
    if (!running.get()) {
      return null;
    }
    long alive = threads.stream().filter(Thread::isAlive).count();
    String error = engineError;
    return new Health(
        alive == threads.size() && error == null && device != null,
        (int) alive,
        threads.size(),
        device,
        error);
  }

  /**
   * The worker's state for readiness.
   *
   * @param up whether it can take runs
   * @param threadsAlive worker threads running
   * @param threads worker threads started
   * @param device the engine's device, once opened
   * @param error why the engine is not usable, or {@code null}
   */
  record Health(boolean up, int threadsAlive, int threads, String device, String error) {}

  /** Claims and executes one run; returns whether there was one. */
  boolean runOnce(TensorEngine engine) {
    Optional<RunRow> claimed = runs.claim(owner, properties.worker().lease(), engine.device());
    if (claimed.isEmpty()) {
      return false;
    }
    RunRow run = claimed.get();
    long started = System.nanoTime();
    String outcome = "failed";
    org.slf4j.MDC.put("runId", run.id().toString());
    log.info(
        "run {} claimed by {} (attempt {} of {}) on {}",
        run.id(),
        owner,
        run.attempts(),
        run.maxAttempts(),
        engine.device());
    try {
      executor.execute(run, owner, engine, () -> stopping);
      outcome = "ended";
    } catch (RunHandedBack e) {
      outcome = "handed_back";
      if (runs.handBack(run.id(), owner)) {
        log.info("run {} handed back to the queue: worker {} is shutting down", run.id(), owner);
      }
    } catch (LeaseLost e) {
      outcome = "lease_lost";
      log.warn("run {}: {}; another worker has it", run.id(), e.getMessage());
    } catch (RunCancelled e) {
      outcome = "cancelled";
      log.info("run {} cancelled", run.id());
      runs.finish(run.id(), owner, RunStatus.CANCELLED, null, null, null, null);
    } catch (Exception | Error e) {
      java.util.Optional<String> outage =
          e instanceof Exception ? dev.graft.shared.Outages.cause(e) : java.util.Optional.empty();
      if (outage.isPresent()) {
        // Not the run's fault: handed back without spending the attempt, retried after a pause.
        // (With the database down this update fails too; the lease then expires and the run is
        // claimed again, as when a worker dies.)
        outcome = "retried";
        String error =
            "attempt "
                + run.attempts()
                + " interrupted: "
                + outage.get()
                + "; retried in "
                + OUTAGE_RETRY.toSeconds()
                + " s without spending an attempt";
        log.warn("run {}: {}", run.id(), error);
        runs.handBack(run.id(), owner, error, OUTAGE_RETRY);
      } else if (e instanceof EngineUnsupported
          || e instanceof IllegalArgumentException
          || e instanceof IllegalStateException) {
        // These do not change with another attempt.
        runs.finish(run.id(), owner, RunStatus.FAILED, e.getMessage(), null, null, null);
      } else {
        // An Error (out of memory, a stack overflow in native code's caller) ends this attempt,
        // not the worker: it is retried like any fault, within the run's attempts.
        String error =
            "attempt "
                + run.attempts()
                + " failed: "
                + (e instanceof Error ? e.toString() : e.getMessage());
        log.warn("run {}: {}", run.id(), error, e);
        if (run.attempts() < run.maxAttempts()) {
          outcome = "retried";
          runs.requeue(run.id(), owner, error);
        } else {
          runs.finish(
              run.id(), owner, RunStatus.FAILED, error + " (no attempts left)", null, null, null);
        }
      }
    } finally {
      if (outcome.equals("ended")) {
        try {
          outcome = runs.find(run.id()).map(r -> r.status().name().toLowerCase()).orElse("ended");
        } catch (RuntimeException e) {
          // the database went away after the run ended: the outcome stays "ended"
        }
      }
      metrics.attempt(outcome, System.nanoTime() - started);
      org.slf4j.MDC.remove("runId");
    }
    return true;
  }

  /**
   * An attempt's work folder outlives it only when its worker died; a day later no attempt can
   * still own it (leases are seconds), so it is removed.
   */
  private void removeAbandonedWorkFolders() {
    java.nio.file.Path work = properties.dataDir().resolve("work");
    if (!java.nio.file.Files.isDirectory(work)) {
      return;
    }
    java.time.Instant dayAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(1));
    try (java.util.stream.Stream<java.nio.file.Path> dirs = java.nio.file.Files.list(work)) {
      for (java.nio.file.Path d : (Iterable<java.nio.file.Path>) dirs::iterator) {
        if (java.nio.file.Files.getLastModifiedTime(d).toInstant().isBefore(dayAgo)) {
          RunExecutor.deleteTree(d);
        }
      }
    } catch (java.io.IOException e) {
      log.warn("could not clean up {}: {}", work, e.toString());
    }
  }

  /** Waits up to {@code millis}, or until {@link #stop()} wakes the thread. */
  private void pause(long millis) throws InterruptedException {
    synchronized (wakeUp) {
      if (running.get()) {
        wakeUp.wait(Math.max(1, millis));
      }
    }
  }

  /** The device the worker threads use, once started. */
  public String device() {
    return device;
  }

  private String requestedDevice() {
    String d = properties.worker().device();
    return d == null || d.isBlank() ? null : d;
  }

  private static String hostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "worker";
    }
  }
}
