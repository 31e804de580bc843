package dev.graft.warmstart.web;

import dev.graft.events.EventStreamProperties;
import dev.graft.shared.TooManyStreams;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunNotFound;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.RunStatus;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The open event streams of runs: each reads its run's row every {@code graft.events.poll-interval}
 * (so any API replica serves any run, whichever worker runs it), sends a {@code progress} event
 * when the progress moved, and a final {@code status} event when the run ended, then closes. No
 * thread is held per stream: one scheduler serves them all, and at most {@code
 * graft.events.max-streams} are open at once.
 */
@Component
class RunEventStreams {

  private static final Logger log = LoggerFactory.getLogger(RunEventStreams.class);

  /**
   * A comment line this often keeps proxies from closing an idle stream, and finds gone clients.
   */
  private static final long KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final RunService runs;
  private final EventStreamProperties properties;
  private final Semaphore slots;
  private final ScheduledExecutorService scheduler;

  RunEventStreams(RunService runs, EventStreamProperties properties) {
    this.runs = runs;
    this.properties = properties;
    this.slots = new Semaphore(properties.maxStreams());
    this.scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "graft-run-events");
              t.setDaemon(true);
              return t;
            });
  }

  @PreDestroy
  void close() {
    scheduler.shutdownNow();
  }

  /**
   * Opens a stream of a run's events after {@code after} (the client's {@code Last-Event-ID}).
   *
   * @throws TooManyStreams when {@code graft.events.max-streams} are open
   */
  SseEmitter open(UUID run, RunEventId after) {
    if (!slots.tryAcquire()) {
      throw new TooManyStreams(
          properties.maxStreams()
              + " event streams are open, the most this server serves at once"
              + " (graft.events.max-streams); try again shortly or poll GET /api/v1/warm-starts/"
              + run,
          5);
    }
    SseEmitter emitter = new SseEmitter(properties.maxDuration().toMillis());
    Stream s = new Stream(run, emitter, after);
    emitter.onCompletion(s::release);
    emitter.onTimeout(
        () -> {
          s.release();
          emitter.complete();
        });
    emitter.onError(e -> s.release());
    try {
      s.task =
          scheduler.scheduleWithFixedDelay(
              s::poll, 0, properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      s.release();
      throw e;
    }
    return emitter;
  }

  /** How many streams are open now. */
  int open() {
    return properties.maxStreams() - slots.availablePermits();
  }

  private final class Stream {
    final UUID run;
    final SseEmitter emitter;
    final AtomicBoolean released = new AtomicBoolean();
    RunEventId last;
    long lastSent = System.nanoTime();
    volatile ScheduledFuture<?> task;

    Stream(UUID run, SseEmitter emitter, RunEventId after) {
      this.run = run;
      this.emitter = emitter;
      this.last = after;
    }

    void poll() {
      if (released.get()) {
        return;
      }
      try {
        Run r = runs.get(run);
        RunEventId at = RunEventId.of(r);
        if (last == null || at.isAfter(last)) {
          emitter.send(
              SseEmitter.event()
                  .id(at.toString())
                  .name("progress")
                  .data(RunProgressEvent.of(r), MediaType.APPLICATION_JSON));
          last = at;
          lastSent = System.nanoTime();
        } else if (System.nanoTime() - lastSent > KEEPALIVE_NANOS) {
          emitter.send(SseEmitter.event().comment("still " + r.status()));
          lastSent = System.nanoTime();
        }
        if (ended(r.status())) {
          emitter.send(
              SseEmitter.event()
                  .id(RunEventId.END)
                  .name("status")
                  .data(r, MediaType.APPLICATION_JSON));
          release();
          emitter.complete();
        }
      } catch (RunNotFound e) {
        release();
        emitter.complete();
      } catch (IOException | IllegalStateException e) {
        // The client went away (or the stream was completed meanwhile).
        release();
      } catch (RuntimeException e) {
        // The database is away for a moment: the next poll tries again.
        log.debug("event stream of run {}: {}", run, e.toString());
      }
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        ScheduledFuture<?> t = task;
        if (t != null) {
          t.cancel(false);
        }
        slots.release();
      }
    }
  }

  static boolean ended(RunStatus s) {
    return s == RunStatus.SUCCEEDED || s == RunStatus.FAILED || s == RunStatus.CANCELLED;
  }
}
