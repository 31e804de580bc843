package dev.graft.format.internal;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import java.math.BigDecimal;

/**
 * The work budget and wall-clock deadline of one parse. A reader's public entry point makes one and
 * every loop whose length a file controls charges it, so no input can make a parse run for longer
 * than {@link ReadLimits#maxParseMillis()} or do more than {@link ReadLimits#maxWork()} units of
 * work, whatever limit it stays under otherwise.
 *
 * <p>The clock is read every {@value #CLOCK_EVERY} units, so charging stays cheap.
 */
public final class ParseBudget {

  private static final long CLOCK_EVERY = 4096;

  private final long maxWork;
  private final long maxMillis;
  private final long startNanos;
  private final long deadlineNanos;
  private long used;
  private long nextClock;

  private ParseBudget(long maxWork, long maxMillis) {
    this.maxWork = maxWork;
    this.maxMillis = maxMillis;
    this.startNanos = System.nanoTime();
    this.deadlineNanos =
        maxMillis >= Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : maxMillis * 1_000_000;
    this.nextClock = CLOCK_EVERY;
  }

  /** Starts the budget of one parse, now. */
  public static ParseBudget start(ReadLimits limits) {
    return new ParseBudget(limits.maxWork(), limits.maxParseMillis());
  }

  /**
   * Spends {@code units} of work.
   *
   * @throws FormatException LIMIT_EXCEEDED when the work budget is spent or the deadline has passed
   */
  public void charge(long units) throws FormatException {
    used = units > Long.MAX_VALUE - used ? Long.MAX_VALUE : used + units;
    if (used > maxWork) {
      throw FormatException.limit("parse exceeded its work budget of " + maxWork);
    }
    if (used >= nextClock) {
      nextClock = used > Long.MAX_VALUE - CLOCK_EVERY ? Long.MAX_VALUE : used + CLOCK_EVERY;
      checkClock();
    }
  }

  /** Spends one unit of work. */
  public void charge() throws FormatException {
    charge(1);
  }

  /**
   * Spends work where no checked exception can be thrown, as in {@code equals}: the refusal comes
   * wrapped in an {@link Exceeded}, which the caller unwraps.
   */
  public void chargeUnchecked(long units) {
    try {
      charge(units);
    } catch (FormatException e) {
      throw new Exceeded(e);
    }
  }

  /**
   * Checks the deadline without spending work.
   *
   * @throws FormatException LIMIT_EXCEEDED when the deadline has passed
   */
  void checkClock() throws FormatException {
    if (System.nanoTime() - startNanos > deadlineNanos) {
      throw FormatException.limit(
          "parse took longer than "
              + BigDecimal.valueOf(maxMillis, 3).stripTrailingZeros().toPlainString()
              + " s");
    }
  }

  /** Work spent so far. */
  long used() {
    return used;
  }

  /** A budget refusal raised where only unchecked exceptions can pass. */
  public static final class Exceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Exceeded(FormatException cause) {
      super(cause.getMessage(), cause, false, false);
    }

    /** The refusal. */
    public FormatException refusal() {
      return (FormatException) getCause();
    }
  }
}
