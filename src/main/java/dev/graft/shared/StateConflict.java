package dev.graft.shared;

/**
 * A well-formed request that what it names cannot take in its current state: a resource still in
 * use, a run that already ended, an idempotency key recorded for another request. Each case is its
 * own subclass, named as the fact it reports ({@link StillInUse}, {@link IdempotencyKeyReused},
 * {@code RunAlreadyEnded}); retrying the same request changes nothing until that state changes.
 */
public abstract class StateConflict extends RuntimeException {

  protected StateConflict(String message) {
    super(message);
  }
}
