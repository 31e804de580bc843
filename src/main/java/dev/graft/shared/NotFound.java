package dev.graft.shared;

/**
 * Something named by id or name in a request's path does not exist. Each feature throws it under a
 * fact's name ({@code CheckpointNotFound}, {@code ModelVersionNotFound.forAlias(...)}).
 */
public abstract class NotFound extends RuntimeException {

  protected NotFound(String message) {
    super(message);
  }
}
