package dev.graft.shared;

/**
 * A request body names something by id or number that does not exist (a checkpoint, an
 * architecture, a version). Unlike a missing resource in the path, the request itself is the
 * problem: it refers to nothing.
 */
public class UnknownReference extends RuntimeException {

  private final String field;

  /**
   * A refusal.
   *
   * @param field the body field holding the reference, e.g. {@code checkpointId}
   * @param message what was looked for and not found
   */
  public UnknownReference(String field, String message) {
    super(message);
    this.field = field;
  }

  /** The body field holding the unknown reference. */
  public String field() {
    return field;
  }
}
