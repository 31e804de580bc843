package dev.graft.warmstart;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import dev.graft.security.AuditLog;
import dev.graft.shared.BadRequest;
import dev.graft.shared.Conflict;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.NotFound;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.UnprocessableReference;
import dev.graft.warmstart.internal.RunRow;
import dev.graft.warmstart.internal.RunStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Warm-start runs: submission (idempotent by key), status, report and cancellation. Workers execute
 * them from the queue; see {@code dev.graft.warmstart.internal.Worker}.
 */
@Service
public class RunService {

  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
  private static final Set<String> FORMATS = Set.of("safetensors", "pytorch", "torchscript");
  private static final Set<String> STATUSES =
      Set.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED");

  private final RunStore runs;
  private final dev.graft.warmstart.internal.CancelSignals cancels;
  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final GraftProperties properties;
  private final TransactionTemplate tx;
  private final AuditLog audit;

  RunService(
      RunStore runs,
      dev.graft.warmstart.internal.CancelSignals cancels,
      CheckpointService checkpoints,
      ArchitectureService architectures,
      GraftProperties properties,
      TransactionTemplate tx,
      AuditLog audit) {
    this.audit = audit;
    this.tx = tx;
    this.runs = runs;
    this.cancels = cancels;
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
   * @throws BadRequest when the output is invalid
   * @throws UnprocessableReference when the checkpoint or architecture does not exist
   * @throws Conflict when the key was used with another body
   */
  public Stored<Run> create(WarmStartRequest request, String idempotencyKey) {
    if (idempotencyKey != null) {
      dev.graft.shared.IdempotencyKeys.check(idempotencyKey);
    }
    WarmStartRequest normalized = validate(request);
    String requestSha = sha256(JSON.writeValueAsString(normalized));
    if (idempotencyKey != null) {
      Optional<RunRow> before = runs.findByIdempotencyKey(idempotencyKey);
      if (before.isPresent()) {
        return replay(before.get(), requestSha, idempotencyKey);
      }
    }
    RunRow row =
        RunRow.queued(
            UUID.randomUUID(),
            normalized.checkpointId(),
            normalized.architectureId(),
            JSON.writeValueAsString(normalized.options()),
            JSON.writeValueAsString(normalized.output()),
            idempotencyKey,
            requestSha,
            properties.worker().maxAttempts(),
            Instant.now().truncatedTo(ChronoUnit.MICROS));
    try {
      tx.executeWithoutResult(
          status -> {
            // Pinned until the run is committed: a delete of either waits and then sees the queued
            // run, or has deleted it before we look (see dev.graft.shared.DeletionVeto).
            if (!checkpoints.pin(row.checkpointId())) {
              throw unknownCheckpoint(row.checkpointId());
            }
            if (!architectures.pin(row.architectureId())) {
              throw unknownArchitecture(row.architectureId());
            }
            runs.insert(row);
            audit.record(
                "run.create",
                "run",
                row.id().toString(),
                "checkpoint "
                    + row.checkpointId()
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
      throw new Conflict(
          "Idempotency-Key "
              + dev.graft.shared.Texts.quote(key)
              + " was used for another request (run "
              + before.id()
              + ")");
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
    if (status != null && !STATUSES.contains(status)) {
      throw new BadRequest("status", "must be one of " + STATUSES + ", was '" + status + "'");
    }
    List<Run> items =
        runs.list(status, page.offset(), page.size()).stream().map(RunService::toDto).toList();
    return new PageResponse<>(items, page.page(), page.size(), runs.count(status));
  }

  /**
   * A run's report, as executed.
   *
   * @throws RunNotFound when there is no such run
   * @throws NotFound when no worker has planned it yet
   */
  public Report report(UUID id) {
    RunRow r = runs.find(id).orElseThrow(() -> new RunNotFound(id));
    if (r.reportJson() == null) {
      throw new NotFound(
          "run "
              + id
              + " is "
              + r.status()
              + " and has no report yet; a worker writes it when it plans the run");
    }
    return JSON.readValue(r.reportJson(), Report.class);
  }

  /**
   * Asks a run to stop: a queued run ends CANCELLED at once, a running one at its next tensor.
   *
   * @throws RunNotFound when there is no such run
   * @throws Conflict when it already succeeded or failed
   */
  public Run cancel(UUID id) {
    RunRow before = runs.find(id).orElseThrow(() -> new RunNotFound(id));
    if (before.status().equals("SUCCEEDED") || before.status().equals("FAILED")) {
      throw new Conflict("run " + id + " already ended " + before.status());
    }
    tx.executeWithoutResult(
        status -> {
          runs.requestCancel(id);
          audit.record("run.cancel", "run", id.toString(), "was " + before.status());
        });
    cancels.cancel(id);
    return get(id);
  }

  private static UnprocessableReference unknownCheckpoint(UUID id) {
    return new UnprocessableReference("checkpointId", "checkpoint " + id + " does not exist");
  }

  private static UnprocessableReference unknownArchitecture(UUID id) {
    return new UnprocessableReference("architectureId", "architecture " + id + " does not exist");
  }

  private WarmStartRequest validate(WarmStartRequest r) {
    if (r == null) {
      throw new BadRequest("body", "is required");
    }
    if (r.checkpointId() == null) {
      throw new UnprocessableReference("checkpointId", "checkpointId is required");
    }
    if (r.architectureId() == null) {
      throw new UnprocessableReference("architectureId", "architectureId is required");
    }
    if (!checkpoints.exists(r.checkpointId())) {
      throw unknownCheckpoint(r.checkpointId());
    }
    if (!architectures.exists(r.architectureId())) {
      throw unknownArchitecture(r.architectureId());
    }
    WarmStartRequest.Output o = r.output();
    if (o == null || o.model() == null) {
      throw new BadRequest("output.model", "is required");
    }
    if (!MODEL_NAME.matcher(o.model()).matches()) {
      throw new BadRequest(
          "output.model",
          "must be 1-255 letters, digits, '.', '_' or '-', starting with a letter or digit; was "
              + dev.graft.shared.Texts.quote(o.model()));
    }
    List<String> formats =
        o.formats() == null || o.formats().isEmpty()
            ? List.of("safetensors", "pytorch")
            : o.formats();
    LoadOptions options = r.options() == null ? LoadOptions.defaults() : r.options();
    for (String f : formats) {
      if (!FORMATS.contains(f)) {
        throw new BadRequest(
            "output.formats",
            "'" + f + "' is not an output format: use safetensors, pytorch or torchscript");
      }
      if (f.equals("torchscript")) {
        if (!architectures.get(r.architectureId()).source().equals("TORCHSCRIPT")) {
          throw new BadRequest(
              "output.formats",
              "torchscript output needs an architecture uploaded as a TorchScript archive; this one is not");
        }
        if (options.dtype() == dev.graft.plan.DtypePolicy.CHECKPOINT) {
          throw new BadRequest(
              "output.formats",
              "torchscript output keeps the archive's dtypes, so it needs options.dtype TARGET, not CHECKPOINT");
        }
      }
    }
    List<String> aliases = o.aliases() == null ? List.of() : o.aliases();
    for (String a : aliases) {
      if (a == null || !MODEL_NAME.matcher(a).matches()) {
        throw new BadRequest(
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
    return new WarmStartRequest(
        r.checkpointId(),
        r.architectureId(),
        options,
        new WarmStartRequest.Output(
            o.model(),
            List.copyOf(new java.util.LinkedHashSet<>(formats)),
            o.description(),
            tags,
            aliases));
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

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
