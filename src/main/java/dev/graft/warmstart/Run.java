package dev.graft.warmstart;

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
 * @param checkpointId the checkpoint
 * @param architectureId the target architecture
 * @param createdAt when it was submitted
 * @param startedAt when a worker first claimed it
 * @param finishedAt when it ended
 * @param error why it failed, for a person to act on
 * @param modelVersion the version it registered
 */
public record Run(
    UUID id,
    RunStatus status,
    Progress progress,
    String device,
    int attempts,
    UUID checkpointId,
    UUID architectureId,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    String error,
    VersionRef modelVersion) {

  /**
   * Progress of a run.
   *
   * @param tensorsDone output tensors written
   * @param tensorsTotal output tensors in all
   * @param bytesDone output bytes written, over every requested format
   * @param bytesTotal output bytes in all, over every requested format
   */
  public record Progress(int tensorsDone, int tensorsTotal, long bytesDone, long bytesTotal) {}

  /**
   * A registered version.
   *
   * @param model the model's name
   * @param version the version number
   */
  public record VersionRef(String model, int version) {}
}
