package dev.graft.registry;

import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An immutable numbered version of a named model: its artifacts, the run and report summary that
 * made it, and its lineage.
 *
 * @param model the model's name
 * @param version the version number, from 1
 * @param createdAt when it was registered
 * @param description free text
 * @param tags free key-value tags
 * @param aliases the aliases that point at this version
 * @param runId the warm-start run that made it
 * @param lineage what it was made from
 * @param summary the run report's summary, as planned when the run executed
 * @param artifacts the stored files
 */
public record ModelVersion(
    String model,
    int version,
    Instant createdAt,
    String description,
    Map<String, String> tags,
    List<String> aliases,
    UUID runId,
    Lineage lineage,
    Report.Summary summary,
    List<Artifact> artifacts) {

  /**
   * What a version was made from.
   *
   * @param checkpointId the checkpoint
   * @param checkpointSha256 the checkpoint's SHA-256, kept even if the checkpoint row goes
   * @param architectureId the target architecture
   * @param options the load options, with every default filled in
   */
  public record Lineage(
      UUID checkpointId, String checkpointSha256, UUID architectureId, LoadOptions options) {}

  /**
   * A stored file of a version.
   *
   * @param format the file's format
   * @param sha256 the file's SHA-256 (its ETag)
   * @param sizeBytes the file's size
   */
  public record Artifact(ArtifactFormat format, String sha256, long sizeBytes) {}
}
