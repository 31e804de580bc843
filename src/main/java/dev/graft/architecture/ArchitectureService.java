package dev.graft.architecture;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import dev.graft.format.torchscript.TorchScriptEntry;
import dev.graft.format.torchscript.TorchScriptIndex;
import dev.graft.format.torchscript.TorchScriptReader;
import dev.graft.plan.EntryKind;
import dev.graft.plan.TargetArchitecture;
import dev.graft.plan.TargetArchitectures;
import dev.graft.plan.TargetEntry;
import dev.graft.security.AuditLog;
import dev.graft.shared.BlobGc;
import dev.graft.shared.ContentIngest;
import dev.graft.shared.DeletionVeto;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.IdempotencyKeys;
import dev.graft.shared.IndexCache;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.storage.PendingBlob;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Target architectures: the ordered layout of a new model, read from a saved state dict, a
 * TorchScript archive, a safetensors file or a JSON document, with initial values left in the blob
 * store.
 */
@Service
public class ArchitectureService {

  private final ArchitectureStore architectures;
  private final ContentIngest ingest;
  private final ReadLimits limits;
  private final BlobGc gc;
  private final TransactionTemplate tx;
  private final List<DeletionVeto> vetoes;
  private final JsonMapper json;
  private final AuditLog audit;
  private final IndexCache<TargetArchitecture> targets =
      new IndexCache<>(2_000_000, t -> t.entries().size() + 1L);

  ArchitectureService(
      ArchitectureStore architectures,
      ContentIngest ingest,
      GraftProperties properties,
      BlobGc gc,
      TransactionTemplate tx,
      List<DeletionVeto> vetoes,
      JsonMapper json,
      AuditLog audit,
      io.micrometer.core.instrument.MeterRegistry registry) {
    targets.monitor(registry, "architecture");
    this.json = json;
    this.audit = audit;
    this.gc = gc;
    this.tx = tx;
    this.vetoes = vetoes;
    this.architectures = architectures;
    this.ingest = ingest;
    this.limits = properties.limits().toReadLimits();
  }

  /**
   * Stores an architecture uploaded as a file: a {@code torch.save} of {@code
   * state_dict(keep_vars=True)} (parameters keep their {@code requires_grad}, other tensors are
   * buffers) or of a plain {@code state_dict()}, a TorchScript archive (which says which entries
   * are parameters), or safetensors (kinds then UNKNOWN).
   *
   * @throws dev.graft.shared.FileRejected when the file is refused
   */
  public Stored<Architecture> uploadFile(String name, InputStream content) throws IOException {
    return uploadFile(name, content, null);
  }

  /**
   * Stores an architecture file under an {@code Idempotency-Key}.
   *
   * @param idempotencyKey the client's key, or {@code null}
   * @throws dev.graft.shared.IdempotencyKeyReused when the key was used for another upload
   */
  public Stored<Architecture> uploadFile(String name, InputStream content, String idempotencyKey)
      throws IOException {
    return ingest.ingest(
        content,
        "Architecture",
        this::findBySha256,
        (ch, crc) -> {
          if (CheckpointReader.isTorchScript(ch, limits)) {
            TorchScriptIndex index = TorchScriptReader.read(ch, limits, crc);
            return new Parsed(ArchitectureSource.TORCHSCRIPT, fromTorchScript(index));
          }
          CheckpointIndex index = CheckpointReader.read(ch, null, null, limits, crc);
          return new Parsed(
              index.format() == CheckpointFormat.SAFETENSORS
                  ? ArchitectureSource.SAFETENSORS
                  : ArchitectureSource.STATE_DICT,
              fromIndex(index));
        },
        (blob, parsed) -> save(name, parsed.source(), blob, parsed.entries(), true),
        key(idempotencyKey, "name=" + name));
  }

  private IdempotencyKeys.Use<Architecture> key(String idempotencyKey, String params) {
    return idempotencyKey == null
        ? null
        : new IdempotencyKeys.Use<>(
            "architecture", idempotencyKey, params, this::get, Architecture::id);
  }

  private record Parsed(ArchitectureSource source, List<StoredEntry> entries) {}

  /**
   * Stores an architecture described in JSON.
   *
   * @throws InvalidInput when an entry is invalid; the field names the entry
   */
  public Stored<Architecture> uploadJson(ArchitectureDocument document) throws IOException {
    return uploadJson(document, null);
  }

  /**
   * Stores a JSON architecture under an {@code Idempotency-Key}.
   *
   * @param idempotencyKey the client's key, or {@code null}
   * @throws dev.graft.shared.IdempotencyKeyReused when the key was used for another description
   */
  public Stored<Architecture> uploadJson(ArchitectureDocument document, String idempotencyKey)
      throws IOException {
    List<StoredEntry> validated = JsonEntries.validate(document, limits);
    // The canonical form of the validated document is what is stored and hashed, so the same
    // description posted twice is recognised whatever its whitespace.
    Map<String, Object> canonical = new LinkedHashMap<>();
    canonical.put("name", document.name());
    canonical.put("entries", validated.stream().map(JsonEntries::toJson).toList());
    byte[] bytes = json.writeValueAsBytes(canonical);
    return ingest.ingest(
        new ByteArrayInputStream(bytes),
        "Architecture",
        this::findBySha256,
        (ch, crc) -> validated,
        (blob, list) -> save(document.name(), ArchitectureSource.JSON, blob, list, false),
        key(idempotencyKey, ""));
  }

  /**
   * An architecture by id.
   *
   * @throws ArchitectureNotFound when there is none
   */
  public Architecture get(UUID id) {
    return architectures.find(id).orElseThrow(() -> new ArchitectureNotFound(id));
  }

  /** Whether an architecture exists. */
  public boolean exists(UUID id) {
    return architectures.exists(id);
  }

  /**
   * Keeps an architecture from being deleted until the current transaction ends: callers that
   * insert a row naming it (a run, a version) pin it first in the same transaction. A delete that
   * has already locked it makes this wait, and then it is gone.
   *
   * @return whether the architecture exists
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active
   * @see DeletionVeto
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public boolean pin(UUID id) {
    return architectures.lockAgainstDelete(id);
  }

  /**
   * Deletes an architecture and its entries, then its blob unless other rows still name the same
   * bytes. The {@link DeletionVeto}s are asked inside the delete's transaction, with the row
   * locked.
   *
   * @throws ArchitectureNotFound when there is none
   * @throws dev.graft.shared.StillInUse when a model version's lineage or a queued or running run
   *     uses it
   */
  public void delete(UUID id) {
    String sha256 =
        tx.execute(
            status -> {
              String sha =
                  architectures.lockForDelete(id).orElseThrow(() -> new ArchitectureNotFound(id));
              DeletionVeto.check(vetoes, DeletionVeto.ResourceKind.ARCHITECTURE, id);
              architectures.delete(id);
              audit.record("architecture.delete", "architecture", id.toString(), "sha256 " + sha);
              return sha;
            });
    targets.evict(id);
    gc.collect(sha256);
  }

  /** Architectures, newest first. */
  @Transactional(readOnly = true)
  public PageResponse<Architecture> list(PageRequest page) {
    return new PageResponse<>(
        architectures.page(page.offset(), page.size()),
        page.page(),
        page.size(),
        architectures.count());
  }

  /**
   * A page of an architecture's entries, in {@code state_dict()} order.
   *
   * @throws ArchitectureNotFound when there is no such architecture
   */
  public PageResponse<ArchitectureEntry> entries(UUID id, PageRequest page) {
    Architecture a = get(id);
    List<ArchitectureEntry> items =
        architectures.entryPage(id, page.offset(), page.size()).stream()
            .map(ArchitectureService::toDto)
            .toList();
    return new PageResponse<>(items, page.page(), page.size(), a.entryCount());
  }

  /**
   * The architecture as the planner sees it: its name and its entries in order.
   *
   * @throws ArchitectureNotFound when there is no such architecture
   */
  public TargetArchitecture target(UUID id) {
    return targets.get(
        id,
        key ->
            new TargetArchitecture(
                get(key).name(),
                architectures.entries(key).stream().map(StoredEntry::toTarget).toList()));
  }

  /**
   * Where an architecture's initial values lie: its blob and, per key, the value's place in it.
   * Entries of a JSON architecture have none (they are initialised by their scheme).
   *
   * @throws ArchitectureNotFound when there is no such architecture
   */
  public InitialValues initialValues(UUID id) {
    Architecture a = get(id);
    java.util.Map<String, TensorInfo> values = new java.util.HashMap<>();
    for (StoredEntry e : architectures.entries(id)) {
      if (e.initialValue() != null) {
        values.put(e.key(), e.initialValue());
      }
    }
    return new InitialValues(a.sha256(), values);
  }

  /**
   * An architecture's initial values.
   *
   * @param sha256 the blob holding them
   * @param byKey each entry's value location in that blob
   */
  public record InitialValues(String sha256, java.util.Map<String, TensorInfo> byKey) {}

  private Optional<Architecture> findBySha256(String sha256) {
    return architectures.findBySha256(sha256);
  }

  private Architecture save(
      String name,
      ArchitectureSource source,
      PendingBlob blob,
      List<StoredEntry> list,
      boolean values) {
    long numel = 0;
    long trainable = 0;
    for (StoredEntry e : list) {
      numel = Math.addExact(numel, e.numel());
      if (e.requiresGrad()) {
        trainable = Math.addExact(trainable, e.numel());
      }
    }
    Architecture architecture =
        new Architecture(
            UUID.randomUUID(),
            name,
            source,
            blob.sha256(),
            blob.size(),
            list.size(),
            numel,
            trainable,
            values,
            Instant.now().truncatedTo(ChronoUnit.MICROS));
    architectures.insert(architecture);
    architectures.insertEntries(architecture.id(), list);
    audit.record(
        "architecture.upload",
        "architecture",
        architecture.id().toString(),
        "name "
            + dev.graft.shared.Texts.quote(name)
            + ", "
            + source
            + ", "
            + list.size()
            + " entries, sha256 "
            + blob.sha256());
    return architecture;
  }

  /**
   * Kinds from a saved state dict, as the planner reads them (a file with any Parameter used
   * keep_vars).
   */
  static List<StoredEntry> fromIndex(CheckpointIndex index) {
    List<TargetEntry> targets = TargetArchitectures.fromStateDict("", index).entries();
    List<StoredEntry> out = new ArrayList<>(targets.size());
    for (int i = 0; i < targets.size(); i++) {
      TargetEntry t = targets.get(i);
      out.add(
          new StoredEntry(
              t.key(),
              t.dtype(),
              t.shape(),
              t.kind(),
              t.requiresGrad(),
              null,
              index.tensors().get(i)));
    }
    return out;
  }

  /** A TorchScript archive lists which entries are parameters and which are buffers. */
  static List<StoredEntry> fromTorchScript(TorchScriptIndex index) {
    List<StoredEntry> out = new ArrayList<>(index.entries().size());
    for (TorchScriptEntry e : index.entries()) {
      TensorInfo t = e.tensor();
      boolean parameter = e.kind() == TorchScriptEntry.Kind.PARAMETER;
      out.add(
          new StoredEntry(
              t.key(),
              t.dtype(),
              t.shape(),
              parameter ? EntryKind.PARAMETER : EntryKind.BUFFER,
              parameter && Boolean.TRUE.equals(t.requiresGrad()),
              null,
              t));
    }
    return out;
  }

  static boolean floating(DType d) {
    return switch (d) {
      case FLOAT64, FLOAT32, FLOAT16, BFLOAT16, COMPLEX64, COMPLEX128 -> true;
      default -> false;
    };
  }

  private static ArchitectureEntry toDto(StoredEntry e) {
    return new ArchitectureEntry(
        e.key(), e.dtype().torchName(), e.shape(), e.kind(), e.requiresGrad(), e.init(), e.numel());
  }
}
