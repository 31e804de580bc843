package dev.graft.shared;

/**
 * A value the client gave (a parameter, a header, a body field) is not acceptable on its own: the
 * wrong shape, out of range, or too long. Names the value, so the client knows what to change.
 */
public class InvalidInput extends RuntimeException {

  private final String field;

  /**
   * A refusal.
   *
   * @param field the parameter, header or body field at fault, e.g. {@code output.model}
   * @param reason what is wrong with it, for a person to act on; the message is {@code field + " "
   *     + reason}
   */
  public InvalidInput(String field, String reason) {
    super(field + " " + reason);
    this.field = field;
  }

  /** The parameter, header or body field at fault. */
  public String field() {
    return field;
  }
}
