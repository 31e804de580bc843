package dev.graft.security;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;

/**
 * One line of the audit log: a change, or refused calls.
 *
 * @param at when it happened
 * @param actor who: a token's name, an OIDC subject, {@code anonymous} for a caller without a valid
 *     token, {@code system} for Graft itself (a worker registering a version)
 * @param action what, as {@code <resource>.<verb>} ({@code checkpoint.upload}, {@code alias.move});
 *     refusals are {@code auth.refused} (401), {@code access.denied} (403) and {@code
 *     auth.throttled} (429)
 * @param resourceType the kind of resource ({@code checkpoint}, {@code version}, {@code token});
 *     {@code null} for refusals
 * @param resourceId its id ({@code model/3} for a version, {@code model/alias} for an alias)
 * @param detail a short description
 * @param remoteAddr the caller's address; {@code null} for Graft's own changes
 */
@Schema(
    name = "AuditEntry",
    example =
        """
        {"at": "2025-01-01T12:00:00Z", "actor": "ci-uploader", "action": "alias.move",
         "resourceType": "alias", "resourceId": "resnet34/champion", "detail": "to version 3",
         "remoteAddr": "10.0.0.7"}""")
public record AuditEntry(
    Instant at,
    String actor,
    String action,
    @Schema(nullable = true) String resourceType,
    @Schema(nullable = true) String resourceId,
    @Schema(nullable = true) String detail,
    @Schema(nullable = true) String remoteAddr) {}
