package dev.graft.security;

import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;

/**
 * A request for a token.
 *
 * @param name what the token is for, 1-255 characters; unique among tokens not revoked
 * @param scopes {@code read}, {@code write} and/or {@code admin}
 * @param expiresAt when it stops working (in the future); absent for never
 */
@Schema(
    name = "NewToken",
    example = "{\"name\": \"ci-uploader\", \"scopes\": [\"write\"], \"expiresAt\": null}")
public record NewToken(
    @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "ci-uploader") String name,
    @ArraySchema(
            arraySchema = @Schema(requiredMode = Schema.RequiredMode.REQUIRED),
            schema = @Schema(allowableValues = {"read", "write", "admin"}))
        List<String> scopes,
    @Schema(nullable = true, example = "2026-01-01T00:00:00Z") Instant expiresAt) {}
