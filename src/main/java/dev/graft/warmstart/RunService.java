package dev.graft.warmstart;

import dev.graft.architecture.ArchitectureService;
import dev.graft.architecture.ArchitectureSource;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.plan.CheckpointSource;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import dev.graft.preview.PreviewService;
import dev.graft.registry.ArtifactFormat;
import dev.graft.security.AuditLog;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.IdempotencyKeyReused;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Sha256;
import dev.graft.shared.Stored;
import dev.graft.shared.UnknownReference;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Warm-start runs: submission (idempotent by key), status, report and cancellation. Workers execute
 * them from the queue; see {@link Worker}.
 */
@Service
public class RunService {

  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");

  private final RunStore runs;
  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final GraftProperties properties;
  private final TransactionTemplate tx;
  private final JsonMapper json;
  private final AuditLog audit;
  private final Heartbeats heartbeats;
  private final PreviewService previews;

  RunService(
      RunStore runs,
      CheckpointService checkpoints,
      ArchitectureService architectures,
      GraftProperties properties,
      TransactionTemplate tx,
      JsonMapper json,
      AuditLog audit,
      Heartbeats heartbeats,
      PreviewService previews) {
    this.previews = previews;
    this.heartbeats = heartbeats;
    this.audit = audit;
    this.tx = tx;
    this.json = json;
    this.runs = runs;
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.properties = properties;
  }

  /**
   * Queues a run.
   *
   * @param idempotencyKey the client's key, or {@code null}: the same key and body return the first
   *     run; the same key with another body is a conflict
   * @return the run, and whether it was created now
   * @throws InvalidInput when the output is invalid, or both or neither of {@code checkpointId} and
   *     {@code sources} are given
   * @throws UnknownReference when a checkpoint or the architecture does not exist
   * @throws dev.graft.plan.SourcesRejected when a source's rules or globs cannot be used, or leave
   *     it nothing to offer
   * @throws IdempotencyKeyReused when the key was used with another body
   */
  public Stored<Run> create(WarmStartRequest request, String idempotencyKey) {
    if (idempotencyKey != null) {
      dev.graft.shared.IdempotencyKeys.check(idempotencyKey);
    }
    WarmStartRequest normalized = validate(request);
    String requestSha = Sha256.hex(json.writeValueAsString(normalized));
    if (idempotencyKey != null) {
      Optional<RunRow> before = runs.findByIdempotencyKey(idempotencyKey);
      if (before.isPresent()) {
        return replay(before.get(), requestSha, idempotencyKey);
      }
    }
    List<CheckpointSource> sources = normalized.sources();
    RunRow row =
        RunRow.queued(
            UUID.randomUUID(),
            sources == null ? normalized.checkpointId() : sources.get(0).checkpointId(),
            normalized.architectureId(),
            json.writeValueAsString(normalized.options()),
            json.writeValueAsString(normalized.output()),
            idempotencyKey,
            requestSha,
            properties.worker().maxAttempts(),
            Instant.now().truncatedTo(ChronoUnit.MICROS),
            sources == null ? null : json.writeValueAsString(sources));
    try {
      tx.executeWithoutResult(
          status -> {
            // Pinned until the run is committed: a delete of either waits and then sees the queued
            // run, or has deleted it before we look (see dev.graft.shared.DeletionVeto).
            if (sources == null) {
              if (!checkpoints.pin(row.checkpointId())) {
                throw unknownCheckpoint(row.checkpointId());
              }
            } else {
              for (int i = 0; i < sources.size(); i++) {
                if (!checkpoints.pin(sources.get(i).checkpointId())) {
                  throw new UnknownReference(
                      "sources[" + i + "].checkpointId",
                      "checkpoint " + sources.get(i).checkpointId() + " does not exist");
                }
              }
            }
            if (!architectures.pin(row.architectureId())) {
              throw unknownArchitecture(row.architectureId());
            }
            runs.insert(row);
            runs.notifyQueued();
            audit.record(
                "run.create",
                "run",
                row.id().toString(),
                (sources == null
                        ? "checkpoint " + row.checkpointId()
                        : "sources "
                            + sources.stream().map(s -> s.checkpointId().toString()).toList())
                    + " into architecture "
                    + row.architectureId()
                    + ", output model "
                    + dev.graft.shared.Texts.quote(normalized.output().model()));
          });
    } catch (DuplicateKeyException e) {
      // A concurrent request with the same key won the insert.
      return replay(
          runs.findByIdempotencyKey(idempotencyKey).orElseThrow(() -> e),
          requestSha,
          idempotencyKey);
    }
    return new Stored<>(toDto(runs.find(row.id()).orElseThrow()), true);
  }

  private Stored<Run> replay(RunRow before, String requestSha, String key) {
    if (!requestSha.equals(before.requestSha256())) {
      throw new IdempotencyKeyReused(key, "request (run " + before.id() + ")");
    }
    return new Stored<>(toDto(before), false);
  }

  /**
   * A run.
   *
   * @throws RunNotFound when there is none
   */
  public Run get(UUID id) {
    return runs.find(id).map(RunService::toDto).orElseThrow(() -> new RunNotFound(id));
  }

  /** Runs, newest first, optionally of one status. */
  public PageResponse<Run> list(String status, PageRequest page) {
    RunStatus only = status == null ? null : RunStatus.parse("status", status);
    List<Run> items =
        runs.list(only, page.offset(), page.size()).stream().map(RunService::toDto).toList();
    return new PageResponse<>(items, page.page(), page.size(), runs.count(only));
  }

  /**
   * A run's report, as executed.
   *
   * @throws RunNotFound when there is no such run
   * @throws RunNotFound when no worker has planned it yet
   */
  public Report report(UUID id) {
    RunStore.StoredReport r = runs.report(id).orElseThrow(() -> new RunNotFound(id));
    if (r.json() == null) {
      throw RunNotFound.withoutReport(id, r.status());
    }
    return json.readValue(r.json(), Report.class);
  }

  /**
   * Asks a run to stop: a queued run ends CANCELLED at once; a running one is told directly when
   * this process runs it (it stops at its next tensor or chunk), else at its worker's next
   * heartbeat ({@code graft.worker.heartbeat}).
   *
   * @throws RunNotFound when there is no such run
   * @throws RunAlreadyEnded when it already succeeded or failed
   */
  public Run cancel(UUID id) {
    RunRow before = runs.find(id).orElseThrow(() -> new RunNotFound(id));
    // A cancelled run may be cancelled again: the answer is the same run.
    if (before.status() == RunStatus.SUCCEEDED || before.status() == RunStatus.FAILED) {
      throw new RunAlreadyEnded(id, before.status());
    }
    tx.executeWithoutResult(
        status -> {
          runs.requestCancel(id);
          audit.record("run.cancel", "run", id.toString(), "was " + before.status());
        });
    heartbeats.cancelLocal(id);
    return get(id);
  }

  private static UnknownReference unknownCheckpoint(UUID id) {
    return new UnknownReference("checkpointId", "checkpoint " + id + " does not exist");
  }

  private static UnknownReference unknownArchitecture(UUID id) {
    return new UnknownReference("architectureId", "architecture " + id + " does not exist");
  }

  private WarmStartRequest validate(WarmStartRequest r) {
    if (r == null) {
      throw new InvalidInput("body", "is required");
    }
    // An empty list beside a checkpointId is no sources: generated clients send [] for a list
    // left unset.
    boolean several = r.sources() != null && !(r.sources().isEmpty() && r.checkpointId() != null);
    List<CheckpointSource> sources = null;
    if (several) {
      // Checked as previews check them (both given, none, too many, ids missing).
      sources = PreviewService.sourcesOf(r.checkpointId(), r.sources());
    } else if (r.checkpointId() == null) {
      throw new UnknownReference("checkpointId", "checkpointId is required");
    }
    if (r.architectureId() == null) {
      throw new UnknownReference("architectureId", "architectureId is required");
    }
    if (sources == null && !checkpoints.exists(r.checkpointId())) {
      throw unknownCheckpoint(r.checkpointId());
    }
    if (!architectures.exists(r.architectureId())) {
      throw unknownArchitecture(r.architectureId());
    }
    WarmStartRequest.Output o = r.output();
    if (o == null || o.model() == null) {
      throw new InvalidInput("output.model", "is required");
    }
    if (!MODEL_NAME.matcher(o.model()).matches()) {
      throw new InvalidInput(
          "output.model",
          "must be 1-255 letters, digits, '.', '_' or '-', starting with a letter or digit; was "
              + dev.graft.shared.Texts.quote(o.model()));
    }
    List<String> formats =
        o.formats() == null || o.formats().isEmpty()
            ? List.of(ArtifactFormat.SAFETENSORS.wireName(), ArtifactFormat.PYTORCH.wireName())
            : o.formats();
    LoadOptions options = r.options() == null ? LoadOptions.defaults() : r.options();
    for (String name : formats) {
      ArtifactFormat f =
          ArtifactFormat.byName(name)
              .orElseThrow(
                  () ->
                      new InvalidInput(
                          "output.formats",
                          "'"
                              + name
                              + "' is not an output format: use safetensors, pytorch or"
                              + " torchscript"));
      if (f == ArtifactFormat.TORCHSCRIPT) {
        if (architectures.get(r.architectureId()).source() != ArchitectureSource.TORCHSCRIPT) {
          throw new InvalidInput(
              "output.formats",
              "torchscript output needs an architecture uploaded as a TorchScript archive; this one is not");
        }
        if (options.dtype() == dev.graft.plan.DtypePolicy.CHECKPOINT) {
          throw new InvalidInput(
              "output.formats",
              "torchscript output keeps the archive's dtypes, so it needs options.dtype TARGET, not CHECKPOINT");
        }
      }
    }
    List<String> aliases = o.aliases() == null ? List.of() : o.aliases();
    for (String a : aliases) {
      if (a == null || !MODEL_NAME.matcher(a).matches()) {
        throw new InvalidInput(
            "output.aliases",
            "alias "
                + dev.graft.shared.Texts.quote(a)
                + " must be letters, digits, '.', '_' or '-'");
      }
    }
    Map<String, String> tags = o.tags() == null ? Map.of() : new LinkedHashMap<>(o.tags());
    // Checked now, not when the finished run registers its version.
    dev.graft.registry.RegistryService.checkDescription("output.description", o.description());
    dev.graft.registry.RegistryService.checkTags(tags);
    if (o.maxShardSize() != null) {
      try {
        dev.graft.format.Shards.parseSize(o.maxShardSize());
      } catch (IllegalArgumentException e) {
        throw new InvalidInput("output.maxShardSize", e.getMessage());
      }
    }
    if (sources != null) {
      // Planned once now, from the indexes alone as a preview is: an unknown source, a bad rule or
      // a source its globs leave empty is the client's 4xx, not a run that fails later.
      previews.preview(null, sources, r.architectureId(), options);
    }
    return new WarmStartRequest(
        sources == null ? r.checkpointId() : null,
        r.architectureId(),
        options,
        new WarmStartRequest.Output(
            o.model(),
            List.copyOf(new java.util.LinkedHashSet<>(formats)),
            o.description(),
            tags,
            aliases,
            o.maxShardSize() == null ? null : o.maxShardSize().strip()),
        sources);
  }

  static Run toDto(RunRow r) {
    return new Run(
        r.id(),
        r.status(),
        new Run.Progress(r.tensorsDone(), r.tensorsTotal(), r.bytesDone(), r.bytesTotal()),
        r.device(),
        r.attempts(),
        r.checkpointId(),
        r.architectureId(),
        r.createdAt(),
        r.startedAt(),
        r.finishedAt(),
        r.error(),
        r.modelName() == null ? null : new Run.VersionRef(r.modelName(), r.modelVersion()));
  }
}
