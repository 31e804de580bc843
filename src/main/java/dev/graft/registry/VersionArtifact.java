package dev.graft.registry;

/**
 * An artifact with the version it belongs to, as a download through an alias resolves it.
 *
 * @param model the model's name
 * @param version the version the alias pointed at
 * @param artifact the stored file
 */
public record VersionArtifact(String model, int version, ModelVersion.Artifact artifact) {}
