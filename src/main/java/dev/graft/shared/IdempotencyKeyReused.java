package dev.graft.shared;

/**
 * An {@code Idempotency-Key} came back with another request than the one it was first recorded for:
 * replaying the first answer would be wrong, and doing the new request would break the key's
 * promise.
 */
public class IdempotencyKeyReused extends StateConflict {

  /**
   * A refusal.
   *
   * @param key the client's key, quoted safely in the message
   * @param firstUse what the key was recorded for, e.g. {@code checkpoint upload (ID)} or {@code
   *     request (run ID)}
   */
  public IdempotencyKeyReused(String key, String firstUse) {
    super("Idempotency-Key " + Texts.quote(key) + " was used for another " + firstUse);
  }
}
