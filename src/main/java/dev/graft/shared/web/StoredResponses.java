package dev.graft.shared.web;

import dev.graft.shared.Stored;
import java.net.URI;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.http.ResponseEntity;

/**
 * The answer to an upload: 201 with {@code Location} for new bytes, 200 with the existing resource.
 */
public final class StoredResponses {

  private StoredResponses() {}

  /**
   * @param stored the stored resource
   * @param idOf its id
   * @param collection the collection path, e.g. {@code /api/v1/checkpoints}
   */
  public static <T> ResponseEntity<T> of(
      Stored<T> stored, Function<T, UUID> idOf, String collection) {
    if (!stored.created()) {
      return ResponseEntity.ok(stored.resource());
    }
    return ResponseEntity.created(URI.create(collection + "/" + idOf.apply(stored.resource())))
        .body(stored.resource());
  }
}
