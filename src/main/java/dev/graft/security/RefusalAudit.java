package dev.graft.security;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Records refused calls (401 {@code auth.refused}, 403 {@code access.denied}, 429 {@code
 * auth.throttled}) in the audit log without letting a flood of them fill the disk.
 *
 * <p>Refusals are aggregated per minute and per (remote address, action, actor): the first one of a
 * minute is written at once, with its method, path and reason; the others of that minute are only
 * counted, and when the minute is over one more line says how many there were and what the last one
 * was. At most {@value #MAX_KEYS} such keys are tracked per minute; refusals beyond them are
 * counted per action and written as one line each with the address {@code *}. So however many calls
 * are refused, and from however many addresses, this process writes at most {@code 2 × 256 + 3}
 * lines a minute (about 1 MB an hour at the column limits, far less in practice). Writing is best
 * effort: a refusal is answered even when its line cannot be written.
 */
@Component
class RefusalAudit implements DisposableBean {

  static final Duration WINDOW = Duration.ofMinutes(1);
  static final int MAX_KEYS = 256;

  private static final Logger log = LoggerFactory.getLogger(RefusalAudit.class);

  private record Key(String address, String action, String actor) {}

  private static final class Tally {
    long more;
    String lastDetail;
  }

  private final AuditLog audit;
  private final ScheduledExecutorService timer;
  private Map<Key, Tally> current = new HashMap<>();
  private Map<String, Long> overflow = new HashMap<>();
  private Instant windowStart = Instant.now();
  private volatile boolean warned;

  RefusalAudit(AuditLog audit) {
    this.audit = audit;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "graft-refusal-audit");
              t.setDaemon(true);
              return t;
            });
    long period = WINDOW.toMillis();
    timer.scheduleAtFixedRate(this::flush, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Records one refused call.
   *
   * @param action {@code auth.refused}, {@code access.denied} or {@code auth.throttled}
   * @param actor who was refused ({@code anonymous} without a valid token)
   * @param detail the method, path and reason
   * @param address the caller's address
   */
  void refused(String action, String actor, String detail, String address) {
    Key key = new Key(address, action, actor);
    synchronized (this) {
      Tally t = current.get(key);
      if (t != null) {
        t.more++;
        t.lastDetail = detail;
        return;
      }
      if (current.size() >= MAX_KEYS) {
        overflow.merge(action, 1L, Long::sum);
        return;
      }
      current.put(key, new Tally());
    }
    write(Instant.now(), actor, action, detail, address);
  }

  /** Writes the lines that sum up the minute that is ending, and starts a new one. */
  void flush() {
    Map<Key, Tally> ended;
    Map<String, Long> spilled;
    Instant since;
    synchronized (this) {
      ended = current;
      spilled = overflow;
      since = windowStart;
      current = new HashMap<>();
      overflow = new HashMap<>();
      windowStart = Instant.now();
    }
    Instant now = Instant.now();
    for (Map.Entry<Key, Tally> e : ended.entrySet()) {
      Tally t = e.getValue();
      if (t.more > 0) {
        write(
            now,
            e.getKey().actor(),
            e.getKey().action(),
            t.more
                + " more refused call"
                + (t.more == 1 ? "" : "s")
                + " like the one recorded at "
                + since
                + " or after; the last: "
                + t.lastDetail,
            e.getKey().address());
      }
    }
    for (Map.Entry<String, Long> e : spilled.entrySet()) {
      write(
          now,
          Callers.ANONYMOUS,
          e.getKey(),
          e.getValue()
              + " refused calls since "
              + since
              + " from addresses beyond the "
              + MAX_KEYS
              + " recorded one by one",
          "*");
    }
  }

  private void write(Instant at, String actor, String action, String detail, String address) {
    try {
      audit.refusal(at, actor, action, detail, address);
    } catch (RuntimeException e) {
      if (!warned) {
        warned = true;
        log.warn("cannot record refused calls in the audit log: {}", e.toString());
      }
    }
  }

  /**
   * Writes the current minute's sums, waiting at most 2 s: at shutdown the database may already be
   * gone (an embedded one stops with the JVM), and a shutdown must not wait for a connection.
   */
  @Override
  public void destroy() {
    try {
      timer.submit(this::flush).get(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("the last refusal sums were not written at shutdown: {}", e.toString());
    } finally {
      timer.shutdownNow();
    }
  }
}
