package dev.graft.warmstart;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Wakes idle worker threads the moment a run is queued, instead of at their next poll: a submit
 * sends {@code NOTIFY graft_run_queued} in its transaction (PostgreSQL delivers it at commit), and
 * one listening thread per worker process, on a connection of its own, turns each notification into
 * a wake-up of the threads waiting in {@link #await}. Polling stays the fallback: a waiting thread
 * still looks every poll interval, so a lost connection, a notification sent while it was
 * reconnecting, or a run given back for another attempt costs at most that interval.
 */
@Component
class RunWakeups {

  /** The channel a queued run is announced on. */
  static final String CHANNEL = "graft_run_queued";

  private static final Logger log = LoggerFactory.getLogger(RunWakeups.class);

  private final DataSource dataSource;
  private final Object lock = new Object();
  private long generation;
  private volatile boolean running;
  private Thread listener;

  RunWakeups(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The current wake-up count: read it before looking for work, pass it to {@link #await}. */
  long generation() {
    synchronized (lock) {
      return generation;
    }
  }

  /**
   * Waits until a wake-up newer than {@code seen} or until {@code max} has passed, whichever comes
   * first; returns at once when one came since {@code seen} was read.
   */
  void await(long seen, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (lock) {
      while (generation == seen) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
    }
  }

  /** Wakes every waiting thread. */
  void wake() {
    synchronized (lock) {
      generation++;
      lock.notifyAll();
    }
  }

  synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    listener = new Thread(this::listen, "graft-run-wakeups");
    listener.setDaemon(true);
    listener.start();
  }

  synchronized void stop() {
    running = false;
    if (listener != null) {
      listener.interrupt();
      try {
        listener.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      listener = null;
    }
  }

  private void listen() {
    long pause = 1000;
    while (running) {
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(true);
        PGConnection pg = c.unwrap(PGConnection.class);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        pause = 1000;
        wake(); // a run queued while nobody listened is found now, not at the next poll
        while (running) {
          PGNotification[] arrived = pg.getNotifications(1000);
          if (arrived != null && arrived.length > 0) {
            wake();
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        log.warn(
            "listening for queued runs failed ({}); workers poll until it is back", e.toString());
        try {
          Thread.sleep(pause);
        } catch (InterruptedException stop) {
          return;
        }
        pause = Math.min(60_000, pause * 2);
      }
    }
  }
}
