package dev.graft.plan;

import java.time.Duration;

/** When the pattern work of one plan must be done by. */
final class Deadline {

  private final long end;
  private final Duration limit;

  private Deadline(long end, Duration limit) {
    this.end = end;
    this.limit = limit;
  }

  static Deadline after(Duration limit) {
    long nanos;
    try {
      nanos = limit.toNanos();
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE / 2;
    }
    return new Deadline(
        System.nanoTime() + Math.max(0, Math.min(nanos, Long.MAX_VALUE / 2)), limit);
  }

  boolean passed() {
    return System.nanoTime() - end >= 0;
  }

  /** A refusal for {@code field}: {@code what} took longer than the limit. */
  LoadOptionsRejected exceeded(String field, String what) {
    return new LoadOptionsRejected(
        field,
        what + " took longer than " + limit.toMillis() + " ms; use fewer or simpler patterns");
  }
}
