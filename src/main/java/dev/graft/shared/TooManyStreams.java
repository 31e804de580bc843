package dev.graft.shared;

/**
 * More event streams are open than {@code graft.events.max-streams} allows; mapped to 429 with
 * {@code Retry-After}.
 */
public class TooManyStreams extends RuntimeException {

  private final long retryAfterSeconds;

  public TooManyStreams(String message, long retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When the client may try again, in seconds. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
