package dev.graft.shared;

import dev.graft.format.FormatException;
import dev.graft.storage.BlobStore;
import dev.graft.storage.PendingBlob;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The one path uploaded files take into Graft: stream into a pending blob while hashing, answer
 * with the existing resource when the bytes were stored before, parse the pending copy, store the
 * blob (outside any transaction), and only then write the rows in a short transaction that checks,
 * under the blob's lock, that the object is there. A refused or failed upload leaves no row, no
 * blob and no temporary file.
 */
@Component
public class ContentIngest {

  /** Reads what a file holds; may refuse it. */
  @FunctionalInterface
  public interface Reader<I> {
    /**
     * @param file the pending content, for random access
     * @param crc CRC-32s of ranges of that content, mostly known from the upload pass already
     */
    I read(SeekableByteChannel file, dev.graft.format.zip.RangeCrc crc) throws IOException;
  }

  private final BlobStore blobs;
  private final TransactionTemplate tx;
  private final GraftProperties properties;
  private final IdempotencyKeys keys;
  private final BlobGc gc;
  private final java.util.concurrent.Semaphore uploads;
  private final io.micrometer.core.instrument.MeterRegistry registry;

  ContentIngest(
      BlobStore blobs,
      TransactionTemplate tx,
      GraftProperties properties,
      BlobGc gc,
      IdempotencyKeys keys,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.registry = registry;
    this.keys = keys;
    this.blobs = blobs;
    this.tx = tx;
    this.properties = properties;
    this.gc = gc;
    this.uploads = new java.util.concurrent.Semaphore(properties.upload().maxConcurrent());
  }

  /**
   * Ingests one upload.
   *
   * @param content the bytes, streamed
   * @param what what the file is meant to be, for the refusal's title ("Checkpoint")
   * @param existing finds a stored resource by SHA-256
   * @param reader parses the pending copy
   * @param save writes the rows for a new resource (inside the transaction) and returns it
   * @throws FileRejected when the reader refuses the file
   * @throws dev.graft.storage.BlobStore.TooLarge when the upload exceeds {@code
   *     graft.upload.max-bytes}
   */
  public <I, T> Stored<T> ingest(
      InputStream content,
      String what,
      Function<String, Optional<T>> existing,
      Reader<I> reader,
      BiFunction<PendingBlob, I, T> save)
      throws IOException {
    return ingest(content, what, existing, reader, save, null);
  }

  /**
   * Ingests one upload under an {@code Idempotency-Key}: a retry with the same key and the same
   * bytes and parameters answers as the first time; the same key with other bytes or parameters is
   * refused before anything is stored.
   *
   * @param key the key and how to find what it created, or {@code null} for none
   * @throws IdempotencyKeyReused when the key was used for another upload
   */
  public <I, T> Stored<T> ingest(
      InputStream content,
      String what,
      Function<String, Optional<T>> existing,
      Reader<I> reader,
      BiFunction<PendingBlob, I, T> save,
      IdempotencyKeys.Use<T> key)
      throws IOException {
    long started = System.nanoTime();
    String outcome = "failed";
    try {
      Stored<T> stored = receive(content, what, existing, reader, save, key);
      outcome = stored.created() ? "stored" : "existing";
      return stored;
    } catch (FileRejected e) {
      outcome = refused(e.cause().kind().name().toLowerCase());
      throw e;
    } catch (dev.graft.storage.BlobStore.TooLarge e) {
      outcome = refused("too_large");
      throw e;
    } catch (UploadStalled e) {
      outcome = refused("stalled");
      throw e;
    } catch (TooManyUploads e) {
      outcome = refused("busy");
      throw e;
    } catch (IdempotencyKeyReused e) {
      outcome = refused("idempotency_key_reused");
      throw e;
    } finally {
      io.micrometer.core.instrument.Timer.builder("graft.upload.duration")
          .description("time to receive, check and store an upload, by outcome")
          .tag("kind", what.toLowerCase())
          .tag("outcome", outcome)
          .register(registry)
          .record(java.time.Duration.ofNanos(System.nanoTime() - started));
    }
  }

  private String refused(String reason) {
    io.micrometer.core.instrument.Counter.builder("graft.upload.refused")
        .description("uploads refused, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
    return "refused";
  }

  private <I, T> Stored<T> receive(
      InputStream content,
      String what,
      Function<String, Optional<T>> existing,
      Reader<I> reader,
      BiFunction<PendingBlob, I, T> save,
      IdempotencyKeys.Use<T> key)
      throws IOException {
    // Before a byte is stored: a key the table cannot hold must not fail after the upload.
    if (key != null) {
      IdempotencyKeys.check(key.key());
    }
    if (!uploads.tryAcquire()) {
      throw new TooManyUploads(
          properties.upload().maxConcurrent()
              + " uploads are already being received by this server"
              + " (graft.upload.max-concurrent); try again shortly",
          5);
    }
    try (PendingBlob pending =
        blobs.write(
            new StallGuard(
                content,
                properties.upload().stallTimeout(),
                properties.upload().stallMinBytes().toBytes()),
            properties.upload().maxBytes().toBytes())) {
      io.micrometer.core.instrument.Counter.builder("graft.upload.bytes")
          .description("bytes received in uploads (refused ones included)")
          .baseUnit("bytes")
          .register(registry)
          .increment(pending.size());
      if (key == null) {
        return store(pending, what, existing, reader, save, null, null);
      }
      String fingerprint = Sha256.hex(pending.sha256() + "\n" + key.params());
      Optional<Stored<T>> replay = keys.replay(key, fingerprint);
      if (replay.isPresent()) {
        return replay.get();
      }
      try {
        return store(pending, what, existing, reader, save, key, fingerprint);
      } catch (IdempotencyKeys.RecordedElsewhere raced) {
        // A concurrent request with the same key committed first; this one stored nothing.
        return keys.replay(key, fingerprint).orElseThrow(() -> raced);
      }
    } finally {
      uploads.release();
    }
  }

  private <I, T> Stored<T> store(
      PendingBlob pending,
      String what,
      Function<String, Optional<T>> existing,
      Reader<I> reader,
      BiFunction<PendingBlob, I, T> save,
      IdempotencyKeys.Use<T> key,
      String fingerprint)
      throws IOException {
    {
      Optional<T> before = existing.apply(pending.sha256());
      if (before.isPresent()) {
        return recorded(new Stored<>(before.get(), false), key, fingerprint);
      }
      I parsed;
      try (SeekableByteChannel ch = pending.open()) {
        parsed = reader.read(ch, pending.rangeCrc(ch));
      } catch (FormatException e) {
        throw new FileRejected(what + " rejected", e);
      }
      // The bytes go to the store first, outside any transaction: a multi-GB S3 upload holds no
      // pooled connection and no lock. A failure from here until the commit below leaves an
      // object no row names, which the orphan sweeper removes; never a row without its object.
      pending.commit();
      boolean recorded = false;
      try {
        Stored<T> result =
            tx.execute(
                status ->
                    gc.underLock(
                        pending.sha256(),
                        () -> {
                          // A concurrent upload of the same bytes that committed while we parsed or
                          // waited for the lock won: answer with its resource rather than fail on
                          // the
                          // unique key.
                          Optional<T> raced = existing.apply(pending.sha256());
                          if (raced.isPresent()) {
                            return recordedIn(new Stored<>(raced.get(), false), key, fingerprint);
                          }
                          // Under the lock, the object is checked: a collector of the same bytes
                          // may
                          // have removed it since our commit (then it is stored again, rarely).
                          ensureStored(pending);
                          T t = save.apply(pending, parsed);
                          // The key is written with the rows: either both are stored or neither.
                          return recordedIn(new Stored<>(t, true), key, fingerprint);
                        }));
        recorded = true;
        return result;
      } catch (DataIntegrityViolationException e) {
        // Kept as a fallback (another writer that does not take the lock): the same answer.
        return existing
            .apply(pending.sha256())
            .map(t -> new Stored<>(t, false))
            .orElseThrow(() -> e);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      } finally {
        if (!recorded) {
          // The transaction failed or answered with another resource: remove the object now if no
          // row names it (best effort; the orphan sweeper removes what this cannot).
          collectQuietly(pending.sha256());
        }
      }
    }
  }

  /**
   * One file of a multi-file upload, as it arrives.
   *
   * @param fileName its name as sent, or {@code null}
   * @param body its bytes, streamed
   */
  public record Arriving(String fileName, InputStream body) {}

  /** The files of a multi-file upload, one after another. */
  @FunctionalInterface
  public interface Files {
    /** The next file, or {@code null} after the last. */
    Arriving next() throws IOException;
  }

  /**
   * One received file of a multi-file upload.
   *
   * @param fileName its name as sent
   * @param blob its pending bytes, hashed
   */
  public record Received(String fileName, PendingBlob blob) {}

  /** Reads what several files hold together; may refuse them. */
  @FunctionalInterface
  public interface FilesReader<I> {
    I read(List<Received> files) throws IOException;
  }

  /**
   * Ingests an upload of several files that make one resource (a sharded checkpoint): every file
   * streams into a pending blob of its own under {@code graft.upload.max-bytes}, the resource is
   * known by the SHA-256 of {@code manifest} (made from the files' names and hashes; an upload of
   * the same files answers with the resource stored before), the files are read together, then all
   * blobs and the manifest are stored, and the rows written in one transaction under every blob's
   * lock. A refused upload leaves no row and no blob; blobs shared with other resources are kept.
   *
   * @param maxFiles how many files one upload may have
   * @param manifest the manifest's bytes, from the received files
   * @param save writes the rows (inside the transaction) from the manifest's blob and the files
   * @throws FileRejected when the reader refuses the files, or there are none or too many
   */
  public <I, T> Stored<T> ingestFiles(
      Files files,
      int maxFiles,
      String what,
      Function<List<Received>, byte[]> manifest,
      Function<String, Optional<T>> existing,
      FilesReader<I> reader,
      TriFunction<PendingBlob, List<Received>, I, T> save)
      throws IOException {
    if (!uploads.tryAcquire()) {
      throw new TooManyUploads(
          properties.upload().maxConcurrent()
              + " uploads are already being received by this server"
              + " (graft.upload.max-concurrent); try again shortly",
          5);
    }
    List<Received> received = new ArrayList<>();
    List<String> stored = new ArrayList<>();
    boolean recorded = false;
    try {
      for (var part = files.next(); part != null; part = files.next()) {
        if (received.size() >= maxFiles) {
          throw new FileRejected(
              what + " rejected",
              FormatException.limit("an upload may have at most " + maxFiles + " files"));
        }
        PendingBlob blob =
            blobs.write(
                new StallGuard(
                    part.body(),
                    properties.upload().stallTimeout(),
                    properties.upload().stallMinBytes().toBytes()),
                properties.upload().maxBytes().toBytes());
        received.add(new Received(part.fileName() == null ? "" : part.fileName(), blob));
      }
      try (PendingBlob list =
          blobs.write(
              new java.io.ByteArrayInputStream(manifest.apply(received)),
              properties.upload().maxBytes().toBytes())) {
        Optional<T> before = existing.apply(list.sha256());
        if (before.isPresent()) {
          recorded = true;
          return new Stored<>(before.get(), false);
        }
        I parsed;
        try {
          parsed = reader.read(received);
        } catch (FormatException e) {
          throw new FileRejected(what + " rejected", e);
        }
        List<PendingBlob> all = new ArrayList<>();
        all.add(list);
        received.forEach(r -> all.add(r.blob()));
        for (PendingBlob b : all) {
          b.commit();
          stored.add(b.sha256());
        }
        try {
          Stored<T> result =
              tx.execute(
                  status ->
                      gc.underLock(
                          stored.stream().distinct().toList(),
                          () -> {
                            Optional<T> raced = existing.apply(list.sha256());
                            if (raced.isPresent()) {
                              return new Stored<>(raced.get(), false);
                            }
                            all.forEach(this::ensureStored);
                            return new Stored<>(save.apply(list, received, parsed), true);
                          }));
          recorded = result.created();
          return result;
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
      }
    } finally {
      for (Received r : received) {
        r.blob().close();
      }
      if (!recorded) {
        stored.stream().distinct().forEach(this::collectQuietly);
      }
      uploads.release();
    }
  }

  /** A function of three arguments. */
  @FunctionalInterface
  public interface TriFunction<A, B, C, R> {
    R apply(A a, B b, C c);
  }

  private void collectQuietly(String sha256) {
    try {
      gc.collect(sha256);
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(ContentIngest.class)
          .warn("blob {} left for the orphan sweeper: {}", sha256, e.toString());
    }
  }

  private void ensureStored(PendingBlob pending) {
    if (!blobs.exists(pending.sha256())) {
      try {
        pending.commit();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private <T> Stored<T> recorded(Stored<T> result, IdempotencyKeys.Use<T> key, String fingerprint) {
    return key == null ? result : tx.execute(status -> recordedIn(result, key, fingerprint));
  }

  private <T> Stored<T> recordedIn(
      Stored<T> result, IdempotencyKeys.Use<T> key, String fingerprint) {
    if (key != null) {
      keys.recordOrThrow(key, fingerprint, result);
    }
    return result;
  }

  /**
   * Cuts an upload that delivers fewer than {@code minBytes} within any {@code window}: a client
   * trickling a byte at a time would otherwise hold an upload slot, its buffers and a staging file
   * for as long as it likes. A stream that stops entirely is cut by the server's read timeout.
   */
  static final class StallGuard extends java.io.FilterInputStream {
    private final long windowNanos;
    private final long minBytes;
    private long windowStart = System.nanoTime();
    private long inWindow;

    StallGuard(InputStream in, java.time.Duration window, long minBytes) {
      super(in);
      this.windowNanos = window.toNanos();
      this.minBytes = minBytes;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      account(b < 0 ? -1 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      account(n);
      return n;
    }

    private void account(int n) throws UploadStalled {
      if (n < 0) {
        return;
      }
      inWindow += n;
      long now = System.nanoTime();
      if (now - windowStart >= windowNanos) {
        if (inWindow < minBytes) {
          throw new UploadStalled(
              "the upload delivered "
                  + inWindow
                  + " bytes in "
                  + java.time.Duration.ofNanos(now - windowStart).toSeconds()
                  + " s, less than "
                  + minBytes
                  + " bytes per "
                  + java.time.Duration.ofNanos(windowNanos).toSeconds()
                  + " s (graft.upload.stall-timeout); it was cut and nothing was stored");
        }
        windowStart = now;
        inWindow = 0;
      }
    }
  }
}
