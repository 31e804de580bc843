package dev.graft.checkpoint;

import java.util.UUID;

/**
 * Published, synchronously and inside no transaction, before a checkpoint is deleted; a listener
 * that still needs it throws {@link dev.graft.shared.Conflict} and the delete is refused.
 *
 * @param id the checkpoint
 */
public record CheckpointDeleting(UUID id) {}
