package dev.graft.security;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A token just created: the only answer that carries its secret.
 *
 * @param id the token's id
 * @param name what it is for
 * @param scopes its scopes
 * @param token the secret, {@code graft_<prefix>_<secret>}: shown this once, stored only as a hash
 * @param prefix the token's non-secret first characters, as listings show them
 * @param createdAt when it was created
 * @param expiresAt when it stops working; {@code null} for never
 */
@Schema(
    name = "CreatedToken",
    example =
        """
        {"id": "0b5e6c1e-3c1d-4c4e-9d43-54f4a8a0a6b1", "name": "ci-uploader", "scopes": ["write"],
         "token": "graft_1a2b3c4d_Yp3k9...", "prefix": "graft_1a2b3c4d",
         "createdAt": "2025-01-01T12:00:00Z", "expiresAt": null}""")
public record CreatedToken(
    UUID id,
    String name,
    List<Scope> scopes,
    String token,
    String prefix,
    Instant createdAt,
    @Schema(nullable = true) Instant expiresAt) {

  /** Keeps the secret out of logs. */
  @Override
  public String toString() {
    return "CreatedToken[id=" + id + ", name=" + name + ", prefix=" + prefix + "]";
  }
}
