package dev.graft.checkpoint;

import dev.graft.format.CheckpointFormat;

/**
 * What a client said about an upload.
 *
 * @param name the checkpoint's name
 * @param format the declared format, or {@code null} to detect it
 * @param stateDictPath where the state dict sits in a nested checkpoint, or {@code null} to detect
 *     it
 */
public record CheckpointUpload(String name, CheckpointFormat format, String stateDictPath) {}
