package dev.graft.preview;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.format.CheckpointIndex;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.LoadPlanner;
import dev.graft.plan.Report;
import dev.graft.plan.TargetArchitecture;
import dev.graft.shared.UnknownReference;
import java.util.UUID;
import org.springframework.stereotype.Service;

/**
 * Previews: what loading a checkpoint into an architecture would do, per tensor, computed from the
 * stored indexes alone; no tensor data is read, so the time does not grow with the file's size.
 */
@Service
public class PreviewService {

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(PreviewService.class);

  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;

  PreviewService(CheckpointService checkpoints, ArchitectureService architectures) {
    this.checkpoints = checkpoints;
    this.architectures = architectures;
  }

  /**
   * Plans a load.
   *
   * @throws UnknownReference when the checkpoint or architecture does not exist
   */
  public Report preview(UUID checkpointId, UUID architectureId, LoadOptions options) {
    long start = System.nanoTime();
    PlanInputs in = inputs(checkpointId, architectureId);
    long loaded = System.nanoTime();
    Report report =
        LoadPlanner.plan(
            in.checkpoint(), in.target(), options == null ? LoadOptions.defaults() : options);
    if (log.isDebugEnabled()) {
      log.debug(
          "preview {} x {}: indexes {} ms, plan {} ms",
          in.checkpoint().tensors().size(),
          in.target().entries().size(),
          (loaded - start) / 1_000_000,
          (System.nanoTime() - loaded) / 1_000_000);
    }
    return report;
  }

  /**
   * The indexes a plan is computed from.
   *
   * @throws UnknownReference when the checkpoint or architecture does not exist
   */
  public PlanInputs inputs(UUID checkpointId, UUID architectureId) {
    if (checkpointId == null) {
      throw new UnknownReference("checkpointId", "checkpointId is required");
    }
    if (architectureId == null) {
      throw new UnknownReference("architectureId", "architectureId is required");
    }
    if (!checkpoints.exists(checkpointId)) {
      throw new UnknownReference("checkpointId", "checkpoint " + checkpointId + " does not exist");
    }
    if (!architectures.exists(architectureId)) {
      throw new UnknownReference(
          "architectureId", "architecture " + architectureId + " does not exist");
    }
    return new PlanInputs(checkpoints.index(checkpointId), architectures.target(architectureId));
  }

  /**
   * A plan's inputs.
   *
   * @param checkpoint the checkpoint's index
   * @param target the target architecture
   */
  public record PlanInputs(CheckpointIndex checkpoint, TargetArchitecture target) {}
}
