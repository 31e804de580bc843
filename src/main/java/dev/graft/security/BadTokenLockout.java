package dev.graft.security;

import dev.graft.shared.GraftProperties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Refuses, for a while, addresses that keep presenting bad tokens: after {@code
 * graft.security.lockout.max-failures} refused tokens (malformed, unknown, expired, revoked, a JWT
 * that does not verify) within {@code lockout.window}, every request from that address that carries
 * credentials is answered 429 with {@code Retry-After} for {@code lockout.duration}, without its
 * token being looked at. Calls without credentials are not counted (they are not guesses) and are
 * answered 401 as usual.
 *
 * <p>State is per process and in memory, bounded to {@value #MAX_TRACKED} addresses (expired
 * entries are dropped when that is reached; beyond it new addresses are not tracked). Behind a
 * reverse proxy the address is the proxy's unless Spring Boot's {@code
 * server.forward-headers-strategy} makes the client's address the request's.
 */
@Component
class BadTokenLockout {

  static final int MAX_TRACKED = 100_000;

  /** Times are {@link System#nanoTime} readings, which may be negative: never compared with 0. */
  private static final class State {
    long windowStart;
    int failures;
    long lockedUntil;

    State(long now) {
      windowStart = now;
      lockedUntil = now;
    }
  }

  private final int maxFailures;
  private final long windowNanos;
  private final long durationNanos;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, State> byAddress = new ConcurrentHashMap<>();

  @Autowired
  BadTokenLockout(GraftProperties properties) {
    this(properties.security().lockout(), System::nanoTime);
  }

  BadTokenLockout(GraftProperties.Lockout settings, LongSupplier clock) {
    this.maxFailures = settings.maxFailures();
    this.windowNanos = settings.window().toNanos();
    this.durationNanos = settings.duration().toNanos();
    this.clock = clock;
  }

  /** Seconds an address must still wait (at least 1), or 0 when it is not locked out. */
  long retryAfterSeconds(String address) {
    State s = byAddress.get(address);
    if (s == null) {
      return 0;
    }
    synchronized (s) {
      long left = s.lockedUntil - clock.getAsLong();
      return left <= 0 ? 0 : Math.max(1, (left + 999_999_999L) / 1_000_000_000L);
    }
  }

  /**
   * Counts a refused token from an address.
   *
   * @return whether this failure locked the address out
   */
  boolean failed(String address) {
    long now = clock.getAsLong();
    State s = byAddress.get(address);
    if (s == null) {
      if (byAddress.size() >= MAX_TRACKED) {
        byAddress.values().removeIf(old -> idle(old, now));
        if (byAddress.size() >= MAX_TRACKED) {
          return false;
        }
      }
      s = byAddress.computeIfAbsent(address, a -> new State(now));
    }
    synchronized (s) {
      if (s.failures == 0 || now - s.windowStart > windowNanos) {
        s.windowStart = now;
        s.failures = 0;
      }
      s.failures++;
      if (s.failures >= maxFailures && s.lockedUntil - now <= 0) {
        s.lockedUntil = now + durationNanos;
        s.failures = 0;
        return true;
      }
      return false;
    }
  }

  /** Forgets every address (for tests that provoke refusals on purpose). */
  void clear() {
    byAddress.clear();
  }

  private boolean idle(State s, long now) {
    synchronized (s) {
      return s.lockedUntil - now <= 0 && now - s.windowStart > windowNanos;
    }
  }
}
