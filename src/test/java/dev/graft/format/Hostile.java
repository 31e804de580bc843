package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.function.ThrowingSupplier;

/**
 * Runs a reader on hostile bytes with a generous time bound: these inputs once took tens of seconds
 * or exhausted the heap, and must now finish well under a few seconds. Only hostile inputs are
 * timed; readers' ordinary work never is.
 */
public final class Hostile {

  /** Far above what the fixed readers need (milliseconds), far below what the attacks took. */
  public static final Duration BOUND = Duration.ofSeconds(5);

  private Hostile() {}

  /** A reader call on hostile input. */
  @FunctionalInterface
  public interface Call {
    Object run() throws Exception;
  }

  /** Runs {@code call} within {@link #BOUND} and returns what it returned. */
  public static <T> T finishes(ThrowingSupplier<T> call) {
    return assertTimeoutPreemptively(BOUND, call);
  }

  /** Asserts {@code call} is refused with {@code kind} within {@link #BOUND}. */
  public static AbstractThrowableAssert<?, ? extends Throwable> refused(
      Call call, FormatException.Kind kind) {
    Throwable thrown =
        assertTimeoutPreemptively(
            BOUND,
            () -> {
              try {
                call.run();
                return null;
              } catch (Throwable t) {
                return t;
              }
            });
    assertThat(thrown).as("refusal").isInstanceOf(FormatException.class);
    assertThat(((FormatException) thrown).kind()).isEqualTo(kind);
    assertThat(thrown.getMessage()).hasSizeLessThanOrEqualTo(FormatException.MAX_MESSAGE_CHARS);
    return assertThatThrownBy(
        () -> {
          throw thrown;
        });
  }
}
