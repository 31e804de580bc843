package dev.graft.preview;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.format.CheckpointIndex;
import dev.graft.plan.CheckpointSource;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.LoadPlanner;
import dev.graft.plan.PlanSource;
import dev.graft.plan.Report;
import dev.graft.plan.TargetArchitecture;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.UnknownReference;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;

/**
 * Previews: what loading a checkpoint into an architecture would do, per tensor, computed from the
 * stored indexes alone; no tensor data is read, so the time does not grow with the file's size.
 */
@Service
public class PreviewService {

  /** Checkpoints one request may load from. */
  public static final int MAX_SOURCES = 16;

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
    return preview(checkpointId, null, architectureId, options);
  }

  /**
   * Plans a load from one checkpoint or from several sources.
   *
   * @param checkpointId the checkpoint, or {@code null} when {@code sources} is given
   * @param sources the checkpoints to load from, first wins; {@code null} for {@code checkpointId}
   * @throws InvalidInput when both or neither of {@code checkpointId} and {@code sources} are
   *     given, or there are too many sources
   * @throws UnknownReference when a checkpoint or the architecture does not exist
   * @throws dev.graft.plan.SourcesRejected when a source's rules or globs cannot be used
   */
  public Report preview(
      UUID checkpointId, List<CheckpointSource> sources, UUID architectureId, LoadOptions options) {
    long start = System.nanoTime();
    List<CheckpointSource> named = sourcesOf(checkpointId, sources);
    if (architectureId == null) {
      throw new UnknownReference("architectureId", "architectureId is required");
    }
    List<PlanSource> planSources = resolve(named);
    requireArchitecture(architectureId);
    TargetArchitecture target = architectures.target(architectureId);
    long loaded = System.nanoTime();
    Report report =
        LoadPlanner.plan(planSources, target, options == null ? LoadOptions.defaults() : options);
    if (log.isDebugEnabled()) {
      log.debug(
          "preview {} source(s) x {}: indexes {} ms, plan {} ms",
          planSources.size(),
          target.entries().size(),
          (loaded - start) / 1_000_000,
          (System.nanoTime() - loaded) / 1_000_000);
    }
    return report;
  }

  /**
   * The sources a request names: its {@code sources}, or its {@code checkpointId} as the one
   * source.
   *
   * @throws InvalidInput when both or neither are given, or more than {@link #MAX_SOURCES}
   * @throws UnknownReference when neither is given (as a missing {@code checkpointId} always was)
   */
  public static List<CheckpointSource> sourcesOf(
      UUID checkpointId, List<CheckpointSource> sources) {
    // An empty list beside a checkpointId is no sources: generated clients send [] for a list
    // left unset.
    if (sources == null || (sources.isEmpty() && checkpointId != null)) {
      if (checkpointId == null) {
        throw new UnknownReference("checkpointId", "checkpointId (or sources) is required");
      }
      return List.of(CheckpointSource.of(checkpointId));
    }
    if (checkpointId != null) {
      throw new InvalidInput("sources", "cannot be given together with checkpointId; use one");
    }
    if (sources.isEmpty()) {
      throw new InvalidInput("sources", "must name at least one checkpoint");
    }
    if (sources.size() > MAX_SOURCES) {
      throw new InvalidInput(
          "sources", "may name at most " + MAX_SOURCES + " checkpoints, got " + sources.size());
    }
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i) == null || sources.get(i).checkpointId() == null) {
        throw new UnknownReference(
            "sources[" + i + "].checkpointId", "sources[" + i + "].checkpointId is required");
      }
    }
    return List.copyOf(sources);
  }

  /**
   * The stored indexes of the sources' checkpoints.
   *
   * @throws UnknownReference naming {@code sources[i].checkpointId} ({@code checkpointId} for a
   *     single source made from it) when a checkpoint does not exist
   */
  public List<PlanSource> resolve(List<CheckpointSource> sources) {
    List<PlanSource> out = new ArrayList<>(sources.size());
    for (int i = 0; i < sources.size(); i++) {
      UUID id = sources.get(i).checkpointId();
      if (!checkpoints.exists(id)) {
        String field = sources.size() == 1 ? "checkpointId" : "sources[" + i + "].checkpointId";
        throw new UnknownReference(field, "checkpoint " + id + " does not exist");
      }
      out.add(PlanSource.of(checkpoints.index(id), sources.get(i)));
    }
    return out;
  }

  private void requireArchitecture(UUID architectureId) {
    if (architectureId == null) {
      throw new UnknownReference("architectureId", "architectureId is required");
    }
    if (!architectures.exists(architectureId)) {
      throw new UnknownReference(
          "architectureId", "architecture " + architectureId + " does not exist");
    }
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
