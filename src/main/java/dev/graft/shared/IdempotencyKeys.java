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
   * @throws Conflict when it was used for another request
   */
  public <T> Optional<Stored<T>> replay(Use<T> use, String fingerprint) {
    return find(use).map(r -> answer(use, r, fingerprint));
  }

  /**
   * Records the answer for a first use; when a concurrent request with the same key recorded first,
   * returns that request's answer instead.
   *
   * @throws Conflict when the concurrent request was another one
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
      throw new Conflict(
          "Idempotency-Key '"
              + use.key()
              + "' was used for another "
              + use.scope()
              + " upload ("
              + r.resourceId()
              + ")");
    }
    return new Stored<>(use.byId().apply(r.resourceId()), r.created());
  }
}
