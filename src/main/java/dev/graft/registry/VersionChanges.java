package dev.graft.registry;

import java.util.Map;

/**
 * The mutable parts of a version, as a PATCH gives them; a version is otherwise immutable.
 *
 * @param descriptionGiven whether the description is to be set (absent means unchanged)
 * @param description the new description, or {@code null} to clear it
 * @param tags the tags that replace the old ones, or {@code null} to keep them
 */
public record VersionChanges(
    boolean descriptionGiven, String description, Map<String, String> tags) {}
