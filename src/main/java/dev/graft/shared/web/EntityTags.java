package dev.graft.shared.web;

import dev.graft.shared.Sha256;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Entity tags of the JSON resources a client can edit (models and versions): a strong tag of the
 * representation, the first 128 bits of the SHA-256 of its JSON as sent, so any change a client
 * could see changes it. A {@code GET} answers it in {@code ETag} (and {@code 304} to a matching
 * {@code If-None-Match}); a {@code PATCH} is applied only while {@link #matches} holds for the
 * client's {@code If-Match}.
 */
@Component
public class EntityTags {

  private final JsonMapper json;

  EntityTags(JsonMapper json) {
    this.json = json;
  }

  /** The quoted tag of a resource's JSON representation. */
  public String of(Object resource) {
    return "\"" + Sha256.hex(json.writeValueAsString(resource)).substring(0, 32) + "\"";
  }

  /**
   * Whether an {@code If-Match} header allows a change to a resource: absent, {@code *}, or listing
   * its current tag. Comparison is strong, as RFC 9110 asks of {@code If-Match}: a weak tag ({@code
   * W/"..."}) never matches.
   */
  public boolean matches(String ifMatch, Object current) {
    if (ifMatch == null) {
      return true;
    }
    String tag = of(current);
    for (String candidate : ifMatch.split(",")) {
      String c = candidate.trim();
      if (c.equals("*") || c.equals(tag)) {
        return true;
      }
    }
    return false;
  }
}
