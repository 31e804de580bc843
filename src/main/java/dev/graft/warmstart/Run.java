package dev.graft.warmstart;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/**
 * A warm-start run, an asynchronous job.
 *
 * @param id the run's id
 * @param status where the run is in its life
 * @param progress tensors and bytes done
 * @param device where it ran or runs ({@code cpu}, {@code cuda:0})
 * @param attempts how many times a worker has claimed it
 * @param checkpointId the checkpoint; the first source's when the run loads several
 * @param architectureId the target architecture
 * @param createdAt when it was submitted
 * @param startedAt when a worker first claimed it
 * @param finishedAt when it ended
 * @param error why it failed, for a person to act on
 * @param modelVersion the version it registered
 */
@Schema(
    requiredProperties = {
      "id",
      "status",
      "progress",
      "device",
      "attempts",
      "checkpointId",
      "architectureId",
      "createdAt",
      "startedAt",
      "finishedAt",
      "error",
      "modelVersion"
    })
public record Run(
    UUID id,
    RunStatus status,
    Progress progress,
    @Schema(
            nullable = true,
            description = "Where it runs or ran (cpu, cuda:0); null until a worker claims it",
            example = "cpu")
        String device,
    @Schema(description = "How many times a worker has claimed it") int attempts,
    UUID checkpointId,
    UUID architectureId,
    Instant createdAt,
    @Schema(nullable = true, description = "When a worker first claimed it") Instant startedAt,
    @Schema(nullable = true, description = "When it ended") Instant finishedAt,
    @Schema(nullable = true, description = "Why it failed, for a person to act on") String error,
    @Schema(nullable = true, description = "The version it registered, once it succeeded")
        VersionRef modelVersion) {

  /**
   * Progress of a run.
   *
   * @param tensorsDone output tensors written
   * @param tensorsTotal output tensors in all
   * @param bytesDone output bytes written, over every requested format
   * @param bytesTotal output bytes in all, over every requested format
   */
  @Schema(
      name = "RunProgress",
      requiredProperties = {"tensorsDone", "tensorsTotal", "bytesDone", "bytesTotal"})
  public record Progress(
      int tensorsDone,
      int tensorsTotal,
      @Schema(description = "Output bytes written, over every requested format") long bytesDone,
      @Schema(description = "Output bytes in all, over every requested format") long bytesTotal) {}

  /**
   * A registered version.
   *
   * @param model the model's name
   * @param version the version number
   */
  @Schema(
      name = "ModelVersionRef",
      requiredProperties = {"model", "version"})
  public record VersionRef(String model, int version) {}
}
