package dev.graft.warmstart;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.Checkpoint;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.OutputTensor;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import dev.graft.plan.TargetArchitecture;
import dev.graft.registry.ArtifactFormat;
import java.nio.file.Path;
import java.util.List;

/**
 * What one attempt at a run works with: the claimed row and the lease owner, the plan, the private
 * work folder its files are written in, the tensors it writes (read and made on the engine), and
 * the heartbeat that carries its progress and lease.
 *
 * @param run the run's row as claimed
 * @param owner this worker's name in the lease
 * @param plan what the run is to do
 * @param work the attempt's own folder; nothing in it is visible until the run registers
 * @param tensors the source of every output tensor's bytes, open for this attempt
 * @param heartbeat progress and lease
 */
record RunAttempt(
    RunRow run, String owner, Plan plan, Path work, OutputTensors tensors, Heartbeat heartbeat) {

  /**
   * A run's plan and what it was made from.
   *
   * @param options the load options the run was submitted with
   * @param output where the result goes
   * @param sources the checkpoints loaded, in the run's source order (one for a run from a {@code
   *     checkpointId})
   * @param target the architecture loaded into
   * @param initial where the architecture's initial values lie (its blob is also the TorchScript
   *     archive an output of that format rewrites)
   * @param report the plan, entry by entry
   * @param reportJson the report as stored on the run
   * @param layout the output tensors in order, with their dtypes and shapes
   */
  record Plan(
      LoadOptions options,
      WarmStartRequest.Output output,
      List<Source> sources,
      TargetArchitecture target,
      ArchitectureService.InitialValues initial,
      Report report,
      String reportJson,
      List<OutputTensor> layout) {

    /** A plan whose layout is its report's entries. */
    static Plan of(
        LoadOptions options,
        WarmStartRequest.Output output,
        List<Source> sources,
        TargetArchitecture target,
        ArchitectureService.InitialValues initial,
        Report report,
        String reportJson) {
      List<OutputTensor> layout =
          report.entries().stream()
              .map(e -> new OutputTensor(e.targetKey(), dtype(e.dtype()), e.shape()))
              .toList();
      return new Plan(
          options, output, List.copyOf(sources), target, initial, report, reportJson, layout);
    }

    /** The first source's checkpoint: the one a run from a {@code checkpointId} loads. */
    Checkpoint checkpoint() {
      return sources.get(0).checkpoint();
    }

    /** The formats to write, in the order asked for. */
    List<ArtifactFormat> formats() {
      return output.artifactFormats();
    }

    /** The bytes of one format's tensors. */
    long bytesPerFormat() {
      return layout.stream().mapToLong(OutputTensor::sizeBytes).sum();
    }
  }

  /**
   * One checkpoint a run loads from.
   *
   * @param checkpoint the checkpoint
   * @param index its tensors, as stored at upload
   */
  record Source(Checkpoint checkpoint, CheckpointIndex index) {}

  /** A report's dtype name as a dtype. */
  static DType dtype(String name) {
    return DType.byTorchName(name)
        .orElseThrow(() -> new IllegalStateException("unknown dtype " + name));
  }
}
