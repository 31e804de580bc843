package dev.graft.shared;

import dev.graft.storage.BlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Removes what crashes and failures leave behind, in the background: blobs no row names that were
 * stored longer ago than {@code graft.gc.orphan-grace} (written by an upload or a run that failed
 * between storing its bytes and recording its rows, or left by a crash between a delete and its
 * collection), each through {@link BlobGc#collect} under the blob's lock, so a blob a writer is
 * about to name is kept; and idempotency keys older than {@code graft.idempotency.retention}. Runs
 * every {@code graft.gc.interval}, in both stores.
 */
@Component
public class OrphanSweeper implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

  private final BlobStore blobs;
  private final BlobGc gc;
  private final JdbcClient jdbc;
  private final Duration grace;
  private final Duration interval;
  private final Duration keyRetention;
  private ScheduledExecutorService timer;

  OrphanSweeper(BlobStore blobs, BlobGc gc, JdbcClient jdbc, GraftProperties properties) {
    this.blobs = blobs;
    this.gc = gc;
    this.jdbc = jdbc;
    this.grace = properties.gc().orphanGrace();
    this.interval = properties.gc().interval();
    this.keyRetention = properties.idempotency().retention();
  }

  /**
   * What one sweep removed.
   *
   * @param blobs orphan blobs removed
   * @param idempotencyKeys expired keys removed
   */
  public record Swept(int blobs, int idempotencyKeys) {}

  /** Sweeps now with the configured grace period. */
  public Swept sweep() {
    return sweep(grace);
  }

  /** Sweeps now, taking blobs stored before {@code grace} ago as candidates. */
  public Swept sweep(Duration grace) {
    int removed = 0;
    try {
      for (String sha : blobs.storedBefore(Instant.now().minus(grace))) {
        if (gc.collect(sha)) {
          removed++;
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("orphan sweep stopped early after {} blob(s): {}", removed, e.toString());
    }
    int keys = 0;
    try {
      keys =
          jdbc.sql("delete from idempotency_key where created_at < now() - ? * interval '1 second'")
              .param(keyRetention.toSeconds())
              .update();
    } catch (RuntimeException e) {
      log.warn("could not remove expired idempotency keys: {}", e.toString());
    }
    if (removed > 0 || keys > 0) {
      log.info("swept {} orphan blob(s) and {} expired idempotency key(s)", removed, keys);
    }
    return new Swept(removed, keys);
  }

  @Override
  public synchronized void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "graft-orphan-sweeper");
              t.setDaemon(true);
              return t;
            });
    long every = interval.toMillis();
    timer.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void stop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return timer != null;
  }
}
