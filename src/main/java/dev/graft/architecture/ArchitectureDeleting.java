package dev.graft.architecture;

import java.util.UUID;

/**
 * Published, synchronously and inside no transaction, before an architecture is deleted; a listener
 * that still needs it throws {@link dev.graft.shared.Conflict} and the delete is refused.
 *
 * @param id the architecture
 */
public record ArchitectureDeleting(UUID id) {}
