package dev.graft.diff;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.UUID;

/**
 * One side of a layout diff: a checkpoint, an architecture, or a model version; exactly one of
 * them.
 *
 * @param checkpointId a stored checkpoint
 * @param architectureId a stored architecture
 * @param model a model's name, with {@code version}
 * @param version a version number of {@code model}
 */
@Schema(
    description = "Exactly one of: {checkpointId}, {architectureId}, {model, version}",
    example = "{\"model\":\"resnet34-warm\",\"version\":3}")
public record LayoutRef(UUID checkpointId, UUID architectureId, String model, Integer version) {}
