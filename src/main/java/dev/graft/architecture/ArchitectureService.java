package dev.graft.architecture;

import dev.graft.architecture.internal.ArchitectureEntity;
import dev.graft.architecture.internal.ArchitectureEntryDao;
import dev.graft.architecture.internal.ArchitectureRepository;
import dev.graft.architecture.internal.StoredEntry;
import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.CheckpointReader;
import dev.graft.format.DType;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.TorchScriptEntry;
import dev.graft.format.TorchScriptIndex;
import dev.graft.format.TorchScriptReader;
import dev.graft.plan.TargetArchitecture;
import dev.graft.plan.TargetArchitectures;
import dev.graft.plan.TargetEntry;
import dev.graft.shared.BadRequest;
import dev.graft.shared.BlobGc;
import dev.graft.shared.ContentIngest;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.IdempotencyKeys;
import dev.graft.shared.IndexCache;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Target architectures: the ordered layout of a new model, read from a saved state dict, a
 * safetensors file or a JSON document, with initial values left in the blob store.
 */
@Service
public class ArchitectureService {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ArchitectureRepository architectures;
  private final ArchitectureEntryDao entries;
  private final ContentIngest ingest;
  private final ReadLimits limits;
  private final BlobGc gc;
  private final TransactionTemplate tx;
  private final ApplicationEventPublisher events;
  private final IndexCache<TargetArchitecture> targets =
      new IndexCache<>(2_000_000, t -> t.entries().size() + 1L);

  ArchitectureService(
      ArchitectureRepository architectures,
      ArchitectureEntryDao entries,
      ContentIngest ingest,
      GraftProperties properties,
      BlobGc gc,
      TransactionTemplate tx,
      ApplicationEventPublisher events) {
    this.gc = gc;
    this.tx = tx;
    this.events = events;
    this.architectures = architectures;
    this.entries = entries;
    this.ingest = ingest;
    this.limits = properties.limits().toReadLimits();
  }

  /**
   * Stores an architecture uploaded as a file: a {@code torch.save} of {@code
   * state_dict(keep_vars=True)} (parameters keep their {@code requires_grad}, other tensors are
   * buffers) or of a plain {@code state_dict()}, or safetensors (kinds then UNKNOWN).
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
   * @throws dev.graft.shared.Conflict when the key was used for another upload
   */
  public Stored<Architecture> uploadFile(String name, InputStream content, String idempotencyKey)
      throws IOException {
    return ingest.ingest(
        content,
        "Architecture",
        this::findBySha256,
        (ch, file) -> {
          if (CheckpointReader.isTorchScript(ch, limits)) {
            TorchScriptIndex index = TorchScriptReader.read(ch, limits);
            return new Parsed("TORCHSCRIPT", fromTorchScript(index));
          }
          CheckpointIndex index = CheckpointReader.read(ch, null, null, limits);
          return new Parsed(
              index.format() == CheckpointFormat.SAFETENSORS ? "SAFETENSORS" : "STATE_DICT",
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

  private record Parsed(String source, List<StoredEntry> entries) {}

  /**
   * Stores an architecture described in JSON.
   *
   * @throws BadRequest when an entry is invalid; the field names the entry
   */
  public Stored<Architecture> uploadJson(ArchitectureDocument document) throws IOException {
    return uploadJson(document, null);
  }

  /**
   * Stores a JSON architecture under an {@code Idempotency-Key}.
   *
   * @param idempotencyKey the client's key, or {@code null}
   * @throws dev.graft.shared.Conflict when the key was used for another description
   */
  public Stored<Architecture> uploadJson(ArchitectureDocument document, String idempotencyKey)
      throws IOException {
    List<StoredEntry> validated = JsonEntries.validate(document);
    // The canonical form of the validated document is what is stored and hashed, so the same
    // description posted twice is recognised whatever its whitespace.
    Map<String, Object> canonical = new LinkedHashMap<>();
    canonical.put("name", document.name());
    canonical.put("entries", validated.stream().map(JsonEntries::toJson).toList());
    byte[] bytes = JSON.writeValueAsBytes(canonical);
    return ingest.ingest(
        new ByteArrayInputStream(bytes),
        "Architecture",
        this::findBySha256,
        (ch, file) -> validated,
        (blob, list) -> save(document.name(), "JSON", blob, list, false),
        key(idempotencyKey, ""));
  }

  /**
   * An architecture by id.
   *
   * @throws ArchitectureNotFound when there is none
   */
  public Architecture get(UUID id) {
    return architectures
        .findById(id)
        .map(ArchitectureService::toDto)
        .orElseThrow(() -> new ArchitectureNotFound(id));
  }

  /** Whether an architecture exists. */
  public boolean exists(UUID id) {
    return architectures.existsById(id);
  }

  /**
   * Deletes an architecture and its entries, then its blob unless other rows still name the same
   * bytes.
   *
   * @throws ArchitectureNotFound when there is none
   * @throws dev.graft.shared.Conflict when a model version's lineage or a queued or running run
   *     uses it
   */
  public void delete(UUID id) {
    ArchitectureEntity e =
        architectures.findById(id).orElseThrow(() -> new ArchitectureNotFound(id));
    events.publishEvent(new ArchitectureDeleting(id));
    tx.executeWithoutResult(status -> architectures.delete(e));
    targets.evict(id);
    gc.collect(e.getSha256());
  }

  /** Architectures, newest first. */
  public PageResponse<Architecture> list(PageRequest page) {
    var result =
        architectures.findAll(
            org.springframework.data.domain.PageRequest.of(
                page.page(),
                page.size(),
                Sort.by(Sort.Order.desc("createdAt"), Sort.Order.asc("id"))));
    return new PageResponse<>(
        result.getContent().stream().map(ArchitectureService::toDto).toList(),
        page.page(),
        page.size(),
        result.getTotalElements());
  }

  /**
   * A page of an architecture's entries, in {@code state_dict()} order.
   *
   * @throws ArchitectureNotFound when there is no such architecture
   */
  public PageResponse<ArchitectureEntry> entries(UUID id, PageRequest page) {
    Architecture a = get(id);
    List<ArchitectureEntry> items =
        entries.page(id, page.offset(), page.size()).stream()
            .map(ArchitectureService::toDto)
            .toList();
    return new PageResponse<>(items, page.page(), page.size(), a.entryCount());
  }

  /**
   * All entries of an architecture, in order, with where initial values lie.
   *
   * @throws ArchitectureNotFound when there is no such architecture
   */
  public List<StoredEntry> storedEntries(UUID id) {
    if (!architectures.existsById(id)) {
      throw new ArchitectureNotFound(id);
    }
    return entries.all(id);
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
                get(key).name(), entries.all(key).stream().map(StoredEntry::toTarget).toList()));
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
    for (StoredEntry e : entries.all(id)) {
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
    return architectures.findBySha256(sha256).map(ArchitectureService::toDto);
  }

  private Architecture save(
      String name, String source, PendingBlob blob, List<StoredEntry> list, boolean values) {
    long numel = 0;
    long trainable = 0;
    for (StoredEntry e : list) {
      numel = Math.addExact(numel, e.numel());
      if (e.requiresGrad()) {
        trainable = Math.addExact(trainable, e.numel());
      }
    }
    ArchitectureEntity entity =
        new ArchitectureEntity(
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
    architectures.saveAndFlush(entity);
    entries.insert(entity.getId(), list);
    return toDto(entity);
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
              t.kind().name(),
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
              parameter ? "PARAMETER" : "BUFFER",
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

  private static Architecture toDto(ArchitectureEntity e) {
    return new Architecture(
        e.getId(),
        e.getName(),
        e.getSource(),
        e.getSha256(),
        e.getSizeBytes(),
        e.getEntryCount(),
        e.getNumel(),
        e.getTrainableNumel(),
        e.isHasInitialValues(),
        e.getCreatedAt());
  }

  private static ArchitectureEntry toDto(StoredEntry e) {
    Map<String, Object> init =
        e.initJson() == null
            ? null
            : JSON.readValue(e.initJson(), new TypeReference<Map<String, Object>>() {});
    return new ArchitectureEntry(
        e.key(), e.dtype().torchName(), e.shape(), e.kind(), e.requiresGrad(), init, e.numel());
  }

  /** Validation of JSON entries, one place for every rule. */
  static final class JsonEntries {
    private static final Set<String> SCHEMES =
        Set.of(
            "zeros", "ones", "constant", "normal", "uniform", "kaiming_uniform", "xavier_uniform");
    private static final Map<String, Set<String>> PARAMS =
        Map.of(
            "zeros", Set.of(),
            "ones", Set.of(),
            "constant", Set.of("value"),
            "normal", Set.of("mean", "std"),
            "uniform", Set.of("a", "b"),
            "kaiming_uniform", Set.of("a"),
            "xavier_uniform", Set.of("gain"));

    static List<StoredEntry> validate(ArchitectureDocument doc) {
      if (doc.name() == null || doc.name().isBlank() || doc.name().length() > 255) {
        throw new BadRequest("name", "is required, at most 255 characters");
      }
      if (doc.entries() == null) {
        throw new BadRequest("entries", "is required");
      }
      Set<String> keys = new HashSet<>();
      List<StoredEntry> out = new ArrayList<>();
      for (int i = 0; i < doc.entries().size(); i++) {
        ArchitectureDocument.Entry e = doc.entries().get(i);
        String at = "entries[" + i + "]";
        if (e == null || e.key() == null || e.key().isEmpty()) {
          throw new BadRequest(at + ".key", "is required");
        }
        if (!keys.add(e.key())) {
          throw new BadRequest(at + ".key", "'" + e.key() + "' appears twice");
        }
        DType dtype =
            DType.byTorchName(e.dtype() == null ? "" : e.dtype())
                .orElseThrow(
                    () ->
                        new BadRequest(
                            at + ".dtype",
                            "'" + e.dtype() + "' is not a torch dtype name such as float32"));
        if (e.shape() == null) {
          throw new BadRequest(at + ".shape", "is required ([] for a 0-dim entry)");
        }
        for (Long s : e.shape()) {
          if (s == null || s < 0) {
            throw new BadRequest(at + ".shape", "sizes must be 0 or more, was " + e.shape());
          }
        }
        String kind = e.kind() == null ? "PARAMETER" : e.kind();
        if (!kind.equals("PARAMETER") && !kind.equals("BUFFER")) {
          throw new BadRequest(at + ".kind", "must be PARAMETER or BUFFER, was '" + kind + "'");
        }
        boolean requiresGrad =
            e.requiresGrad() != null ? e.requiresGrad() : kind.equals("PARAMETER");
        if (requiresGrad && !floating(dtype)) {
          throw new BadRequest(
              at + ".requiresGrad",
              "only floating-point entries can require gradients (" + dtype.torchName() + ")");
        }
        Map<String, Object> init =
            e.init() != null ? e.init() : defaultInit(kind, dtype, e.shape());
        validateInit(at + ".init", init, dtype, e.shape());
        StoredEntry stored =
            new StoredEntry(
                e.key(), dtype, e.shape(), kind, requiresGrad, JSON.writeValueAsString(init), null);
        try {
          stored.numel();
        } catch (ArithmeticException overflow) {
          throw new BadRequest(at + ".shape", "has more elements than fit in 64 bits");
        }
        out.add(stored);
      }
      return out;
    }

    /** PyTorch's layer default for weights (kaiming_uniform with a = sqrt(5)); zeros otherwise. */
    private static Map<String, Object> defaultInit(String kind, DType dtype, List<Long> shape) {
      if (kind.equals("PARAMETER") && floating(dtype) && shape.size() >= 2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scheme", "kaiming_uniform");
        m.put("a", Math.sqrt(5));
        return m;
      }
      return Map.of("scheme", "zeros");
    }

    private static void validateInit(
        String at, Map<String, Object> init, DType dtype, List<Long> shape) {
      Object scheme = init.get("scheme");
      if (!(scheme instanceof String s) || !SCHEMES.contains(s)) {
        throw new BadRequest(
            at + ".scheme",
            "must be one of " + new java.util.TreeSet<>(SCHEMES) + ", was " + scheme);
      }
      for (Map.Entry<String, Object> p : init.entrySet()) {
        if (p.getKey().equals("scheme")) {
          continue;
        }
        if (!PARAMS.get(s).contains(p.getKey())) {
          throw new BadRequest(
              at + "." + p.getKey(),
              "is not a parameter of '" + s + "' (it takes " + PARAMS.get(s) + ")");
        }
        if (!(p.getValue() instanceof Number)) {
          throw new BadRequest(at + "." + p.getKey(), "must be a number");
        }
      }
      if (s.equals("constant") && !init.containsKey("value")) {
        throw new BadRequest(at + ".value", "is required by 'constant'");
      }
      boolean random =
          s.equals("normal")
              || s.equals("uniform")
              || s.equals("kaiming_uniform")
              || s.equals("xavier_uniform");
      if (random && !floating(dtype)) {
        throw new BadRequest(
            at + ".scheme", "'" + s + "' needs a floating-point dtype, not " + dtype.torchName());
      }
      if ((s.equals("kaiming_uniform") || s.equals("xavier_uniform")) && shape.size() < 2) {
        throw new BadRequest(
            at + ".scheme",
            "'"
                + s
                + "' needs at least 2 dimensions to compute fan in and fan out, shape was "
                + shape);
      }
      if (s.equals("normal") && init.get("std") instanceof Number std && std.doubleValue() < 0) {
        throw new BadRequest(at + ".std", "must be 0 or more");
      }
      if (s.equals("uniform")) {
        double a = init.get("a") instanceof Number n ? n.doubleValue() : 0;
        double b = init.get("b") instanceof Number n ? n.doubleValue() : 1;
        if (a > b) {
          throw new BadRequest(at + ".a", "must not exceed b");
        }
      }
    }

    static Map<String, Object> toJson(StoredEntry e) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("key", e.key());
      m.put("dtype", e.dtype().torchName());
      m.put("shape", e.shape());
      m.put("kind", e.kind());
      m.put("requiresGrad", e.requiresGrad());
      m.put("init", JSON.readValue(e.initJson(), new TypeReference<Map<String, Object>>() {}));
      return m;
    }
  }
}
