package dev.graft.shared;

import java.io.IOException;

/**
 * A request body was refused while it was read: larger than its limit (413) or holding text Graft
 * cannot store (400). An {@link IOException} so that it travels through the JSON reader consuming
 * the stream; the problem advice finds it among the causes.
 */
public class RequestBodyRefused extends IOException {

  private final boolean tooLarge;

  public RequestBodyRefused(String message, boolean tooLarge) {
    super(message);
    this.tooLarge = tooLarge;
  }

  /** Whether the body exceeded its size limit (else its content was refused). */
  public boolean tooLarge() {
    return tooLarge;
  }
}
