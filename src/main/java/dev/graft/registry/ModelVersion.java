package dev.graft.registry;

import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import io.swagger.v3.oas.annotations.media.Schema;
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
@Schema(
    requiredProperties = {
      "model",
      "version",
      "createdAt",
      "description",
      "tags",
      "aliases",
      "runId",
      "lineage",
      "summary",
      "artifacts"
    })
public record ModelVersion(
    String model,
    @Schema(description = "The version number, from 1; never reused") int version,
    Instant createdAt,
    @Schema(nullable = true) String description,
    Map<String, String> tags,
    @Schema(description = "The aliases that point at this version") List<String> aliases,
    @Schema(description = "The warm-start run that made it") UUID runId,
    Lineage lineage,
    @Schema(description = "The run report's summary, as planned when the run executed")
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
  @Schema(requiredProperties = {"checkpointId", "checkpointSha256", "architectureId", "options"})
  public record Lineage(
      UUID checkpointId, String checkpointSha256, UUID architectureId, LoadOptions options) {}

  /**
   * A stored file of a version.
   *
   * @param format the file's format
   * @param sha256 the file's SHA-256 (its ETag)
   * @param sizeBytes the file's size
   */
  @Schema(requiredProperties = {"format", "sha256", "sizeBytes"})
  public record Artifact(
      ArtifactFormat format,
      @Schema(description = "The file's SHA-256, hex; its download's ETag") String sha256,
      long sizeBytes) {}
}
