package dev.graft.shared;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Remembers which resource an {@code Idempotency-Key} created, and from which request, so that a
 * retried upload answers exactly as the first one did (same status, same resource) and a key reused
 * for another request is refused with 409.
 */
@Component
public class IdempotencyKeys {

  /**
   * A key given with a request.
   *
   * @param scope what kind of call ({@code checkpoint}, {@code architecture})
   * @param key the client's key
   * @param params the request's parameters other than its body, as text
   * @param byId loads the resource a key recorded
   * @param idOf the id of a resource
   */
  public record Use<T>(
      String scope, String key, String params, Function<UUID, T> byId, Function<T, UUID> idOf) {}

  private record Recorded(String fingerprint, boolean created, UUID resourceId) {}

  private final JdbcClient jdbc;

  IdempotencyKeys(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * The first answer for this key, when the key was used before.
   *
   * @throws IdempotencyKeyReused when it was used for another request
   */
  public <T> Optional<Stored<T>> replay(Use<T> use, String fingerprint) {
    return find(use).map(r -> answer(use, r, fingerprint));
  }

  /**
   * Records the answer for a first use; when a concurrent request with the same key recorded first,
   * returns that request's answer instead.
   *
   * @throws IdempotencyKeyReused when the concurrent request was another one
   */
  public <T> Stored<T> record(Use<T> use, String fingerprint, Stored<T> result) {
    int inserted =
        jdbc.sql(
                "insert into idempotency_key (scope, key, fingerprint, created, resource_id) values (?,?,?,?,?)"
                    + " on conflict (scope, key) do nothing")
            .params(
                use.scope(),
                use.key(),
                fingerprint,
                result.created(),
                use.idOf().apply(result.resource()))
            .update();
    if (inserted == 1) {
      return result;
    }
    return answer(use, find(use).orElseThrow(), fingerprint);
  }

  /**
   * Records the answer for a first use inside the caller's transaction, so that the key and what it
   * created are stored together or not at all.
   *
   * @throws RecordedElsewhere when a concurrent request recorded the key first; the caller's
   *     transaction must roll back, and {@link #replay} then gives that request's answer
   */
  public <T> void recordOrThrow(Use<T> use, String fingerprint, Stored<T> result) {
    int inserted =
        jdbc.sql(
                "insert into idempotency_key (scope, key, fingerprint, created, resource_id) values (?,?,?,?,?)"
                    + " on conflict (scope, key) do nothing")
            .params(
                use.scope(),
                use.key(),
                fingerprint,
                result.created(),
                use.idOf().apply(result.resource()))
            .update();
    if (inserted != 1) {
      throw new RecordedElsewhere(use.key());
    }
  }

  /** The longest {@code Idempotency-Key} accepted (the column's width). */
  public static final int MAX_KEY_LENGTH = 255;

  /**
   * Checks a client's key before anything is stored under it: 1 to {@value #MAX_KEY_LENGTH} visible
   * ASCII characters, as the header syntax allows.
   *
   * @throws InvalidInput naming the {@code Idempotency-Key} header otherwise
   */
  public static void check(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw new InvalidInput(
          "Idempotency-Key",
          "must be 1 to "
              + MAX_KEY_LENGTH
              + " characters, was "
              + (key == null ? 0 : key.length()));
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new InvalidInput(
            "Idempotency-Key",
            "must be visible ASCII characters (no spaces or control characters), was "
                + dev.graft.shared.Texts.quote(key));
      }
    }
  }

  /** A concurrent request with the same key recorded its answer first. */
  public static final class RecordedElsewhere extends RuntimeException {
    RecordedElsewhere(String key) {
      super("Idempotency-Key " + key + " was recorded by a concurrent request");
    }
  }

  private <T> Optional<Recorded> find(Use<T> use) {
    return jdbc.sql(
            "select fingerprint, created, resource_id from idempotency_key where scope = ? and key = ?")
        .params(use.scope(), use.key())
        .query(
            (rs, n) -> new Recorded(rs.getString(1), rs.getBoolean(2), rs.getObject(3, UUID.class)))
        .optional();
  }

  private static <T> Stored<T> answer(Use<T> use, Recorded r, String fingerprint) {
    if (!r.fingerprint().equals(fingerprint)) {
      throw new IdempotencyKeyReused(use.key(), use.scope() + " upload (" + r.resourceId() + ")");
    }
    return new Stored<>(use.byId().apply(r.resourceId()), r.created());
  }
}
