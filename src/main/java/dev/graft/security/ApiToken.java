package dev.graft.security;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A bearer token as listed: never its secret.
 *
 * @param id the token's id
 * @param name what it is for; names the caller in the audit log
 * @param scopes the scopes it was given (each includes those below it)
 * @param prefix the token's first characters, to recognise it ({@code graft_1a2b3c4d})
 * @param createdAt when it was created
 * @param createdBy who created it ({@code system} for the first admin token)
 * @param expiresAt when it stops working; {@code null} for never
 * @param revokedAt when it was revoked; {@code null} while it is not
 */
@Schema(
    name = "ApiToken",
    example =
        """
        {"id": "0b5e6c1e-3c1d-4c4e-9d43-54f4a8a0a6b1", "name": "ci-uploader", "scopes": ["write"],
         "prefix": "graft_1a2b3c4d", "createdAt": "2025-01-01T12:00:00Z", "createdBy": "admin",
         "expiresAt": null, "revokedAt": null}""")
public record ApiToken(
    UUID id,
    String name,
    List<Scope> scopes,
    String prefix,
    Instant createdAt,
    String createdBy,
    @Schema(nullable = true) Instant expiresAt,
    @Schema(nullable = true) Instant revokedAt) {}
