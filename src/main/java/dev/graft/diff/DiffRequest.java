package dev.graft.diff;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * Two layouts to compare key by key.
 *
 * @param left the layout compared from (the "old" side: its keys are what key rules rewrite)
 * @param right the layout compared to
 */
@Schema(
    example =
        """
        {"left":{"checkpointId":"6f1c2a9e-3b7d-4c52-9a51-0d3e5f7a8b90"},
         "right":{"architectureId":"0b7e2f4c-9d41-4a8e-8f5e-2c6a1d9b3e70"}}""")
public record DiffRequest(LayoutRef left, LayoutRef right) {}
