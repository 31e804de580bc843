package dev.graft.preview;

import dev.graft.plan.CheckpointSource;
import dev.graft.plan.LoadOptions;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.UUID;

/**
 * What to preview: a checkpoint loaded into an architecture under load options.
 *
 * @param checkpointId the checkpoint
 * @param architectureId the target architecture
 * @param options the load options; PyTorch's defaults ({@code strict: true}) when absent
 * @param sources several checkpoints to load from instead of {@code checkpointId}, first wins
 */
@Schema(
    requiredProperties = {"checkpointId", "architectureId"},
    example =
        """
        {"checkpointId":"6f1c2a9e-3b7d-4c52-9a51-0d3e5f7a8b90","architectureId":"0b7e2f4c-9d41-4a8e-8f5e-2c6a1d9b3e70",
         "options":{"strict":false,"keyRules":[{"type":"stripPrefix","prefix":"module."}],
                    "onShapeMismatch":"COPY_OVERLAP","dtype":"TARGET","freeze":["backbone.*"],"initSeed":0}}""")
public record PreviewRequest(
    UUID checkpointId,
    UUID architectureId,
    LoadOptions options,
    @ArraySchema(
            arraySchema =
                @Schema(
                    description =
                        "Several checkpoints instead of checkpointId: each source's keys are"
                            + " rewritten by options.keyRules, then its own keyRules, then filtered"
                            + " by its include/exclude globs; the first source offering a target"
                            + " key wins it"))
        List<CheckpointSource> sources) {}
