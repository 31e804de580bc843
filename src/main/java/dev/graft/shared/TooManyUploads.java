package dev.graft.shared;

/**
 * More uploads are in progress than {@code graft.upload.max-concurrent} allows; mapped to 429 with
 * {@code Retry-After}.
 */
public class TooManyUploads extends RuntimeException {

  private final long retryAfterSeconds;

  public TooManyUploads(String message, long retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When the client may try again, in seconds. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
