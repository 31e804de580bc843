package dev.graft.registry;

import java.time.Instant;
import java.util.Map;

/**
 * A named model: the container of its numbered versions and its aliases.
 *
 * @param name the model's name
 * @param createdAt when its first version was registered
 * @param latestVersion the highest version number that exists, or {@code null} when every version
 *     was deleted
 * @param versionCount how many versions exist
 * @param aliases each alias and the version it points at
 */
public record Model(
    String name,
    Instant createdAt,
    Integer latestVersion,
    long versionCount,
    Map<String, Integer> aliases) {}
