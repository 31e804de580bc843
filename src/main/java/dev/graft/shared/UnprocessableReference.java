package dev.graft.shared;

/** A request body names an id that does not exist; mapped to 422 with the field named. */
public class UnprocessableReference extends RuntimeException {

  private final String field;

  public UnprocessableReference(String field, String message) {
    super(message);
    this.field = field;
  }

  /** The body field holding the unknown reference. */
  public String field() {
    return field;
  }
}
