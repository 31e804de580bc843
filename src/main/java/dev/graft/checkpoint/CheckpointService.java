package dev.graft.checkpoint;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import dev.graft.security.AuditLog;
import dev.graft.shared.BlobGc;
import dev.graft.shared.ContentIngest;
import dev.graft.shared.DeletionVeto;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.IdempotencyKeys;
import dev.graft.shared.IndexCache;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.storage.PendingBlob;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Checkpoints: safe ingestion of uploaded weight files, their stored tensor index, and deletion.
 *
 * <p>An upload streams into a pending blob while it is hashed, is parsed there by the format
 * readers, and only then is committed under its hash together with its rows; a refused file leaves
 * nothing behind.
 */
@Service
public class CheckpointService {

  private final CheckpointStore checkpoints;
  private final TransactionTemplate tx;
  private final ContentIngest ingest;
  private final List<DeletionVeto> vetoes;
  private final BlobGc gc;
  private final ReadLimits limits;
  private final AuditLog audit;
  private final IndexCache<CheckpointIndex> indexes =
      new IndexCache<>(2_000_000, i -> i.tensors().size() + 1L);

  CheckpointService(
      CheckpointStore checkpoints,
      TransactionTemplate tx,
      ContentIngest ingest,
      GraftProperties properties,
      List<DeletionVeto> vetoes,
      BlobGc gc,
      AuditLog audit,
      io.micrometer.core.instrument.MeterRegistry registry) {
    indexes.monitor(registry, "checkpoint");
    this.audit = audit;
    this.vetoes = vetoes;
    this.gc = gc;
    this.checkpoints = checkpoints;
    this.tx = tx;
    this.ingest = ingest;
    this.limits = properties.limits().toReadLimits();
  }

  /**
   * Stores an uploaded checkpoint.
   *
   * @param upload what the client said about the file
   * @param content the file's bytes, streamed
   * @return the stored checkpoint, and whether it is new
   * @throws FileRejected when a reader refuses the file (nothing is stored)
   * @throws dev.graft.storage.BlobStore.TooLarge when the file exceeds {@code
   *     graft.upload.max-bytes}
   * @throws IOException when the content cannot be read or stored
   */
  public Stored<Checkpoint> upload(CheckpointUpload upload, InputStream content)
      throws IOException {
    return upload(upload, content, null);
  }

  /**
   * Stores an uploaded checkpoint under an {@code Idempotency-Key}.
   *
   * @param idempotencyKey the client's key, or {@code null}
   * @throws dev.graft.shared.IdempotencyKeyReused when the key was used for another upload
   * @see #upload(CheckpointUpload, InputStream)
   */
  public Stored<Checkpoint> upload(
      CheckpointUpload upload, InputStream content, String idempotencyKey) throws IOException {
    IdempotencyKeys.Use<Checkpoint> key =
        idempotencyKey == null
            ? null
            : new IdempotencyKeys.Use<>(
                "checkpoint", idempotencyKey, upload.toString(), this::get, Checkpoint::id);
    return ingest.ingest(
        content,
        "Checkpoint",
        this::findBySha256,
        (ch, crc) ->
            CheckpointReader.read(ch, upload.format(), upload.stateDictPath(), limits, crc),
        (blob, index) -> {
          Checkpoint checkpoint = newCheckpoint(upload.name(), blob, index);
          checkpoints.insert(checkpoint, index.moduleVersions());
          checkpoints.insertTensors(checkpoint.id(), index.tensors());
          audit.record(
              "checkpoint.upload",
              "checkpoint",
              checkpoint.id().toString(),
              "name "
                  + dev.graft.shared.Texts.quote(checkpoint.name())
                  + ", "
                  + checkpoint.format()
                  + ", "
                  + checkpoint.tensorCount()
                  + " tensors, "
                  + checkpoint.sizeBytes()
                  + " bytes, sha256 "
                  + checkpoint.sha256());
          // Answered as stored, exactly as a later GET reads it (metadata through its JSON column).
          return checkpoints.find(checkpoint.id()).orElseThrow();
        },
        key);
  }

  /** Files one sharded upload may have: the index and up to 63 shards (a multipart limit). */
  public static final int MAX_SHARD_FILES = 64;

  /**
   * Stores a checkpoint uploaded in Hugging Face's sharded layout: the index ({@code
   * model.safetensors.index.json} or {@code pytorch_model.bin.index.json}) and its shard files,
   * each stored as a blob of its own (a shard another checkpoint has shares its bytes). The
   * checkpoint's {@code sha256} is that of its manifest, a {@code sha256sum} listing of the files
   * by name, so the same files uploaded again answer with the checkpoint stored before.
   *
   * @param name the checkpoint's name
   * @param files the files as sent, the index among them (by its name)
   * @throws FileRejected when there is no index or more than one, the index does not agree with the
   *     shards (a key missing, twice or in another shard, a shard missing or extra, a wrong {@code
   *     total_size}), a shard is refused, or a limit is exceeded by a shard or all together
   * @throws dev.graft.storage.BlobStore.TooLarge when a file exceeds {@code graft.upload.max-bytes}
   */
  public Stored<Checkpoint> uploadSharded(String name, ContentIngest.Files files)
      throws IOException {
    return uploadSharded(new CheckpointUpload(name, null, null), files);
  }

  /**
   * Stores a sharded checkpoint whose shards must be of {@code upload.format()} when it names one.
   *
   * @see #uploadSharded(String, ContentIngest.Files)
   */
  public Stored<Checkpoint> uploadSharded(CheckpointUpload upload, ContentIngest.Files files)
      throws IOException {
    String name = upload.name();
    return ingest.ingestFiles(
        files,
        MAX_SHARD_FILES,
        "Checkpoint",
        CheckpointService::manifest,
        this::findBySha256,
        received -> {
          CheckpointIndex index = readSharded(received);
          if (upload.format() != null && upload.format() != index.format()) {
            throw dev.graft.format.FormatException.unsupported(
                "expected "
                    + upload.format().wireName()
                    + " shards, but these are "
                    + index.format().wireName());
          }
          return index;
        },
        (manifest, received, index) -> {
          List<Checkpoint.Shard> ordered = orderedFiles(received);
          Checkpoint checkpoint = newCheckpoint(name, manifest, index);
          checkpoints.insert(checkpoint, index.moduleVersions());
          checkpoints.insertShards(checkpoint.id(), ordered);
          checkpoints.insertTensors(checkpoint.id(), index.tensors());
          audit.record(
              "checkpoint.upload",
              "checkpoint",
              checkpoint.id().toString(),
              "name "
                  + dev.graft.shared.Texts.quote(checkpoint.name())
                  + ", "
                  + checkpoint.format()
                  + " in "
                  + (ordered.size() - 1)
                  + " shards, "
                  + checkpoint.tensorCount()
                  + " tensors, manifest sha256 "
                  + checkpoint.sha256());
          return checkpoints.find(checkpoint.id()).orElseThrow();
        });
  }

  private static boolean isIndex(String fileName) {
    return fileName.endsWith(".index.json");
  }

  /** The files as the checkpoint lists them: the index, then the shards by name. */
  private static List<Checkpoint.Shard> orderedFiles(List<ContentIngest.Received> received) {
    List<Checkpoint.Shard> out = new java.util.ArrayList<>();
    received.stream().filter(r -> isIndex(r.fileName())).forEach(r -> out.add(shard(r)));
    received.stream()
        .filter(r -> !isIndex(r.fileName()))
        .sorted(java.util.Comparator.comparing(ContentIngest.Received::fileName))
        .forEach(r -> out.add(shard(r)));
    return out;
  }

  private static Checkpoint.Shard shard(ContentIngest.Received r) {
    return new Checkpoint.Shard(r.fileName(), r.blob().sha256(), r.blob().size());
  }

  /** {@code sha256sum}'s listing of the files, by name. */
  private static byte[] manifest(List<ContentIngest.Received> received) {
    StringBuilder b = new StringBuilder();
    received.stream()
        .sorted(java.util.Comparator.comparing(ContentIngest.Received::fileName))
        .forEach(r -> b.append(r.blob().sha256()).append("  ").append(r.fileName()).append('\n'));
    return b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private CheckpointIndex readSharded(List<ContentIngest.Received> received) throws IOException {
    List<ContentIngest.Received> indexes =
        received.stream().filter(r -> isIndex(r.fileName())).toList();
    if (indexes.size() != 1) {
      throw dev.graft.format.FormatException.malformed(
          "a sharded upload needs exactly one index file (model.safetensors.index.json or"
              + " pytorch_model.bin.index.json) among its file parts; it has "
              + indexes.size());
    }
    for (ContentIngest.Received r : received) {
      if (!isIndex(r.fileName()) && !SHARD_NAME.matcher(r.fileName()).matches()) {
        throw dev.graft.format.FormatException.malformed(
            "file part "
                + dev.graft.shared.Texts.quote(r.fileName())
                + " needs a plain file name (letters, digits, '.', '_', '-'), as the index names"
                + " its shards");
      }
    }
    ContentIngest.Received index = indexes.get(0);
    if (index.blob().size() > Math.min(limits.maxHeaderBytes(), 16 << 20)) {
      // Checked again, with the same figure, where it is parsed; here before it is read in.
      throw dev.graft.format.FormatException.limit(
          "the index file is "
              + index.blob().size()
              + " bytes, over the limit of "
              + Math.min(limits.maxHeaderBytes(), 16 << 20));
    }
    byte[] json;
    try (java.nio.channels.SeekableByteChannel ch = index.blob().open();
        InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
      json = in.readAllBytes();
    }
    List<java.nio.channels.SeekableByteChannel> open = new java.util.ArrayList<>();
    try {
      List<CheckpointReader.Shard> shards = new java.util.ArrayList<>();
      for (ContentIngest.Received r : received) {
        if (r != index) {
          java.nio.channels.SeekableByteChannel ch = r.blob().open();
          open.add(ch);
          shards.add(
              new CheckpointReader.Shard(r.fileName(), r.blob().size(), ch, r.blob().rangeCrc(ch)));
        }
      }
      return CheckpointReader.readSharded(json, shards, limits);
    } finally {
      for (java.nio.channels.SeekableByteChannel ch : open) {
        ch.close();
      }
    }
  }

  private static final java.util.regex.Pattern SHARD_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}");

  /**
   * A checkpoint by id.
   *
   * @throws CheckpointNotFound when there is none
   */
  public Checkpoint get(UUID id) {
    return checkpoints.find(id).orElseThrow(() -> new CheckpointNotFound(id));
  }

  /** Whether a checkpoint exists. */
  public boolean exists(UUID id) {
    return checkpoints.exists(id);
  }

  /**
   * Checkpoints, newest first, optionally only those whose name contains {@code q} (ignoring case)
   * and only the one holding the bytes of SHA-256 {@code sha256} (lower-case hex).
   */
  @Transactional(readOnly = true)
  public PageResponse<Checkpoint> list(String q, String sha256, PageRequest page) {
    if (sha256 != null) {
      List<Checkpoint> found =
          checkpoints
              .findBySha256(sha256)
              .filter(
                  c ->
                      q == null
                          || c.name()
                              .toLowerCase(java.util.Locale.ROOT)
                              .contains(q.toLowerCase(java.util.Locale.ROOT)))
              .stream()
              .toList();
      return new PageResponse<>(
          page.offset() == 0 ? found : List.of(), page.page(), page.size(), found.size());
    }
    return new PageResponse<>(
        checkpoints.page(q, page.offset(), page.size()),
        page.page(),
        page.size(),
        checkpoints.count(q));
  }

  /**
   * A page of a checkpoint's tensors in file order.
   *
   * @throws CheckpointNotFound when there is no such checkpoint
   */
  public PageResponse<CheckpointTensor> tensors(UUID id, String prefix, PageRequest page) {
    if (!checkpoints.exists(id)) {
      throw new CheckpointNotFound(id);
    }
    List<CheckpointTensor> items =
        checkpoints.tensorPage(id, prefix, page.offset(), page.size()).stream()
            .map(
                t ->
                    new CheckpointTensor(
                        t.key(),
                        t.dtype().torchName(),
                        t.shape(),
                        t.numel(),
                        t.sizeBytes(),
                        t.requiresGrad()))
            .toList();
    return new PageResponse<>(items, page.page(), page.size(), checkpoints.tensorCount(id, prefix));
  }

  /**
   * The full tensor index of a checkpoint, in file order, as stored at upload.
   *
   * @throws CheckpointNotFound when there is no such checkpoint
   */
  public CheckpointIndex index(UUID id) {
    return indexes.get(id, this::loadIndex);
  }

  private CheckpointIndex loadIndex(UUID id) {
    Checkpoint c = get(id);
    return new CheckpointIndex(
        c.format(),
        c.stateDictPath(),
        checkpoints.tensors(id),
        c.metadata(),
        checkpoints.moduleVersions(id).orElseThrow(() -> new CheckpointNotFound(id)));
  }

  /**
   * Keeps a checkpoint from being deleted until the current transaction ends: callers that insert a
   * row naming it (a run, a version) pin it first in the same transaction. A delete that has
   * already locked it makes this wait, and then it is gone.
   *
   * @return whether the checkpoint exists
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active
   * @see DeletionVeto
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public boolean pin(UUID id) {
    return checkpoints.lockAgainstDelete(id);
  }

  /**
   * Deletes a checkpoint and its index, then its blob unless other rows still name the same bytes.
   * The {@link DeletionVeto}s are asked inside the delete's transaction, with the row locked.
   *
   * @throws CheckpointNotFound when there is none
   * @throws dev.graft.shared.StillInUse when a model version or a queued or running run uses it
   */
  public void delete(UUID id) {
    List<String> blobs =
        tx.execute(
            status -> {
              String sha =
                  checkpoints.lockForDelete(id).orElseThrow(() -> new CheckpointNotFound(id));
              DeletionVeto.check(vetoes, DeletionVeto.ResourceKind.CHECKPOINT, id);
              List<String> shas = new java.util.ArrayList<>();
              shas.add(sha);
              shas.addAll(checkpoints.shardSha256s(id));
              checkpoints.delete(id);
              audit.record("checkpoint.delete", "checkpoint", id.toString(), "sha256 " + sha);
              return shas;
            });
    indexes.evict(id);
    // Not blobs.delete: the same bytes may be a model artifact, another checkpoint's shard, or be
    // uploaded again right now.
    for (String sha : blobs) {
      gc.collect(sha);
    }
  }

  private Optional<Checkpoint> findBySha256(String sha256) {
    return checkpoints.findBySha256(sha256);
  }

  private static Checkpoint newCheckpoint(String name, PendingBlob blob, CheckpointIndex index) {
    Map<String, Long> dtypes = new TreeMap<>();
    for (TensorInfo t : index.tensors()) {
      dtypes.merge(t.dtype().torchName(), 1L, Long::sum);
    }
    return new Checkpoint(
        UUID.randomUUID(),
        name,
        blob.sha256(),
        blob.size(),
        index.format(),
        index.stateDictPath(),
        index.tensors().size(),
        index.numel(),
        dtypes,
        index.metadata(),
        Instant.now().truncatedTo(ChronoUnit.MICROS));
  }
}
