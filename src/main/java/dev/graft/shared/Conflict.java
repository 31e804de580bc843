package dev.graft.shared;

/**
 * The request conflicts with the current state (a resource in use, a key reused); mapped to 409.
 */
public class Conflict extends RuntimeException {

  public Conflict(String message) {
    super(message);
  }
}
