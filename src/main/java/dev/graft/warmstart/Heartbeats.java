package dev.graft.warmstart;

import dev.graft.shared.GraftProperties;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The heartbeats of the attempts this process is running, beaten on their own scheduler threads,
 * and the way a cancel asked on this replica reaches the attempt at once.
 */
@Component
class Heartbeats implements DisposableBean {

  private final RunStore runs;
  private final GraftProperties properties;
  private final Map<UUID, Heartbeat> running = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler;

  private final RunMetrics metrics;

  Heartbeats(RunStore runs, GraftProperties properties, RunMetrics metrics) {
    this.metrics = metrics;
    this.runs = runs;
    this.properties = properties;
    AtomicInteger n = new AtomicInteger();
    this.scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "graft-heartbeat-" + n.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the heartbeat of an attempt; closing it stops the beats and forgets the attempt. */
  Heartbeat start(UUID run, String owner) {
    Heartbeat[] self = new Heartbeat[1];
    Heartbeat h =
        new Heartbeat(
            runs,
            run,
            owner,
            properties.worker().lease(),
            metrics,
            () -> running.remove(run, self[0]));
    self[0] = h;
    running.put(run, h);
    return h.start(scheduler, properties.worker().heartbeat());
  }

  /**
   * Signals a cancel to the attempt of this run when this process runs it.
   *
   * @return whether this process runs it
   */
  boolean cancelLocal(UUID run) {
    Heartbeat h = running.get(run);
    if (h == null) {
      return false;
    }
    h.cancel();
    return true;
  }

  @Override
  public void destroy() {
    scheduler.shutdownNow();
  }
}
