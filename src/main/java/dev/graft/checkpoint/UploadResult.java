package dev.graft.checkpoint;

/**
 * The outcome of an upload.
 *
 * @param checkpoint the stored checkpoint
 * @param created {@code true} when these bytes were new, {@code false} when they were stored before
 */
public record UploadResult(Checkpoint checkpoint, boolean created) {}
