package dev.graft.warmstart.web;

import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunStatus;
import java.util.UUID;

/**
 * The data of a {@code progress} event.
 *
 * @param runId the run
 * @param status {@code QUEUED} or {@code RUNNING} (or the end, in the last progress event before
 *     the {@code status} event)
 * @param attempt the attempt the progress belongs to (0 while queued); a retried run starts again
 *     from zero under its next attempt
 * @param device where it runs
 * @param tensorsDone output tensors written
 * @param tensorsTotal output tensors in all (0 until the worker has planned the run)
 * @param bytesDone output bytes written, over every requested format
 * @param bytesTotal output bytes in all
 */
record RunProgressEvent(
    UUID runId,
    RunStatus status,
    int attempt,
    String device,
    int tensorsDone,
    int tensorsTotal,
    long bytesDone,
    long bytesTotal) {

  static RunProgressEvent of(Run r) {
    return new RunProgressEvent(
        r.id(),
        r.status(),
        r.attempts(),
        r.device(),
        r.progress().tensorsDone(),
        r.progress().tensorsTotal(),
        r.progress().bytesDone(),
        r.progress().bytesTotal());
  }
}
