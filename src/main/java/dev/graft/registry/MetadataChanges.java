package dev.graft.registry;

import java.util.Map;

/**
 * The editable parts of a model or a version, as a PATCH gives them: its description and its tags.
 * A version is otherwise immutable; a model's other fields follow from its versions and aliases.
 *
 * @param descriptionGiven whether the description is to be set (absent means unchanged)
 * @param description the new description, or {@code null} to clear it
 * @param tags the tags that replace the old ones, or {@code null} to keep them
 */
public record MetadataChanges(
    boolean descriptionGiven, String description, Map<String, String> tags) {}
