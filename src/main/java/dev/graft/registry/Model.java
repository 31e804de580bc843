package dev.graft.registry;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.Map;

/**
 * A named model: the container of its numbered versions and its aliases.
 *
 * @param name the model's name
 * @param description free text about the model, or {@code null}
 * @param tags free key-value tags of the model itself (its versions carry their own)
 * @param createdAt when its first version was registered
 * @param latestVersion the highest version number that exists, or {@code null} when every version
 *     was deleted
 * @param versionCount how many versions exist
 * @param aliases each alias and the version it points at
 */
@Schema(
    requiredProperties = {
      "name",
      "description",
      "tags",
      "createdAt",
      "latestVersion",
      "versionCount",
      "aliases"
    })
public record Model(
    String name,
    @Schema(nullable = true) String description,
    @Schema(description = "The model's own tags; its versions carry theirs")
        Map<String, String> tags,
    @Schema(description = "When its first version was registered") Instant createdAt,
    @Schema(nullable = true, description = "The highest version number; null when none is left")
        Integer latestVersion,
    long versionCount,
    @Schema(description = "Each alias and the version it points at")
        Map<String, Integer> aliases) {}
