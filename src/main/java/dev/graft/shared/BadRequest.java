package dev.graft.shared;

/** A request parameter or field is invalid; mapped to 400 with the field named. */
public class BadRequest extends RuntimeException {

  private final String field;

  public BadRequest(String field, String message) {
    super(field + " " + message);
    this.field = field;
  }

  /** The parameter or field that is wrong. */
  public String field() {
    return field;
  }
}
