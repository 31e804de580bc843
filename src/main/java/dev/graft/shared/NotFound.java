package dev.graft.shared;

/**
 * Something named by id or name does not exist; mapped to 404. Features subclass it with a fact's
 * name.
 */
public class NotFound extends RuntimeException {

  public NotFound(String message) {
    super(message);
  }
}
