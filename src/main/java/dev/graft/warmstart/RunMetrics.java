package dev.graft.warmstart;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The runs' meters: {@code graft.runs} (gauge, runs by status, read from the table at most once a
 * few seconds, whoever scrapes), {@code graft.run.duration} (timer by outcome, per attempt), and
 * {@code graft.run.tensors} and {@code graft.run.bytes} (counters of output written; their rate is
 * the throughput).
 */
@Component
class RunMetrics {

  private static final long REFRESH_NANOS = Duration.ofSeconds(5).toNanos();

  private final RunStore runs;
  private final MeterRegistry registry;
  private final Counter tensors;
  private final Counter bytes;
  private volatile Map<RunStatus, Long> counts = Map.of();
  private volatile long countedAt = System.nanoTime() - REFRESH_NANOS;

  RunMetrics(RunStore runs, MeterRegistry registry) {
    this.runs = runs;
    this.registry = registry;
    for (RunStatus s : RunStatus.values()) {
      Gauge.builder("graft.runs", this, m -> m.count(s))
          .description("runs in the queue table by status")
          .tag("status", s.name())
          .register(registry);
    }
    tensors =
        Counter.builder("graft.run.tensors")
            .description("output tensors written by this process's worker")
            .register(registry);
    bytes =
        Counter.builder("graft.run.bytes")
            .description("output bytes written by this process's worker, over every format")
            .baseUnit("bytes")
            .register(registry);
  }

  private double count(RunStatus status) {
    if (System.nanoTime() - countedAt >= REFRESH_NANOS) {
      synchronized (this) {
        if (System.nanoTime() - countedAt >= REFRESH_NANOS) {
          try {
            counts = runs.countByStatus();
          } catch (RuntimeException e) {
            // The database is away: the gauge says "unknown" rather than a stale figure.
            counts = null;
          }
          countedAt = System.nanoTime();
        }
      }
    }
    Map<RunStatus, Long> c = counts;
    return c == null ? Double.NaN : c.getOrDefault(status, 0L);
  }

  /** Counts output written. */
  void progress(int tensors, long bytes) {
    this.tensors.increment(tensors);
    this.bytes.increment(bytes);
  }

  /** Records how one attempt ended and how long it took. */
  void attempt(String outcome, long nanos) {
    Timer.builder("graft.run.duration")
        .description("time a worker spent on one attempt at a run, by how it ended")
        .tag("outcome", outcome)
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }
}
