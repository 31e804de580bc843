package dev.graft.warmstart;

import java.time.Instant;
import java.util.UUID;

/**
 * A run's row as stored.
 *
 * <p>{@code sourcesJson} is the run's {@code sources} as submitted, or {@code null} for a run from
 * one {@code checkpointId}; {@code checkpointId} is then its first source's checkpoint.
 */
record RunRow(
    UUID id,
    RunStatus status,
    UUID checkpointId,
    UUID architectureId,
    String optionsJson,
    String outputJson,
    String idempotencyKey,
    String requestSha256,
    int attempts,
    int maxAttempts,
    String leaseOwner,
    boolean cancelRequested,
    String device,
    int tensorsDone,
    int tensorsTotal,
    long bytesDone,
    long bytesTotal,
    String reportJson,
    String error,
    String modelName,
    Integer modelVersion,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    String sourcesJson) {

  /** A new run as it enters the queue: QUEUED, never attempted, no progress yet. */
  static RunRow queued(
      UUID id,
      UUID checkpointId,
      UUID architectureId,
      String optionsJson,
      String outputJson,
      String idempotencyKey,
      String requestSha256,
      int maxAttempts,
      Instant createdAt,
      String sourcesJson) {
    return new RunRow(
        id,
        RunStatus.QUEUED,
        checkpointId,
        architectureId,
        optionsJson,
        outputJson,
        idempotencyKey,
        requestSha256,
        0,
        maxAttempts,
        null,
        false,
        null,
        0,
        0,
        0,
        0,
        null,
        null,
        null,
        null,
        createdAt,
        null,
        null,
        sourcesJson);
  }
}
