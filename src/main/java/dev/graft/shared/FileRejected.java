package dev.graft.shared;

import dev.graft.format.FormatException;

/**
 * An uploaded file was refused by a reader; mapped to 422 (413 when a limit was exceeded) with the
 * reader's message, which names what is wrong and where.
 */
public class FileRejected extends RuntimeException {

  private final String title;

  public FileRejected(String title, FormatException cause) {
    super(cause.getMessage(), cause);
    this.title = title;
  }

  /** A short title, e.g. "Checkpoint rejected". */
  public String title() {
    return title;
  }

  /** The reader's refusal. */
  public FormatException cause() {
    return (FormatException) getCause();
  }
}
