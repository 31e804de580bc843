package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;

/**
 * Immutable, content-addressed objects named by their SHA-256. New content is first written to a
 * {@link PendingBlob} (hashed while streaming, never buffered whole in memory), inspected there,
 * and only then committed under its hash or discarded.
 */
public interface BlobStore {

  /**
   * Streams {@code in} into a new temporary object, hashing it on the way.
   *
   * @param in the content; read to its end, not closed
   * @param maxBytes the largest size accepted
   * @throws TooLarge when more than {@code maxBytes} arrive (nothing is left behind)
   * @throws IOException when the content cannot be read or stored (nothing is left behind)
   */
  PendingBlob write(InputStream in, long maxBytes) throws IOException;

  /**
   * Removes staged files left behind by processes that are gone (a crash mid-upload).
   *
   * @return how many files were removed
   */
  default int sweepStaging() {
    return 0;
  }

  /**
   * Takes a finished local file (a run's output) as a pending blob, hashing it on the way; the file
   * is moved, not copied, where the store is on the same filesystem.
   *
   * @throws IOException when the file cannot be read or moved
   */
  PendingBlob adopt(java.nio.file.Path file) throws IOException;

  /**
   * Takes a finished local file whose hash the caller computed while writing it (see {@link
   * OutputFile}), without reading it again.
   *
   * @throws IOException when the file cannot be moved
   */
  PendingBlob adopt(java.nio.file.Path file, String sha256, long size) throws IOException;

  /**
   * The hashes of the objects stored before {@code cutoff}, for the orphan sweeper.
   *
   * @throws IOException when the store cannot be listed
   */
  java.util.List<String> storedBefore(java.time.Instant cutoff) throws IOException;

  /** Whether an object with this hash is stored. */
  boolean exists(String sha256);

  /**
   * The stored object's size in bytes.
   *
   * @throws BlobMissing when no such object is stored
   */
  long size(String sha256) throws IOException;

  /**
   * Opens a stored object for random access.
   *
   * @throws BlobMissing when no such object is stored
   */
  SeekableByteChannel open(String sha256) throws IOException;

  /**
   * Opens {@code length} bytes of a stored object from {@code offset}.
   *
   * @throws BlobMissing when no such object is stored
   */
  InputStream openRange(String sha256, long offset, long length) throws IOException;

  /** The object's local file, where the store keeps objects on a local filesystem (for mapping). */
  Optional<java.nio.file.Path> localPath(String sha256);

  /** Removes a stored object; a no-op when it is absent. */
  void delete(String sha256) throws IOException;

  /**
   * Checks that the store can be used now (the folder is there, the bucket can be reached), for
   * health.
   *
   * @throws IOException saying why not
   */
  default void probe() throws IOException {}

  /** The store cannot be reached now (a network failure, a server error); a retry may succeed. */
  class StoreUnavailable extends IOException {
    public StoreUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Thrown when a stored object is asked for and is not there. */
  class BlobMissing extends IOException {
    public BlobMissing(String sha256) {
      super("blob " + sha256 + " is not in the store");
    }
  }

  /** More bytes arrived than the writer accepts; nothing of them is kept. Mapped to 413. */
  class TooLarge extends RuntimeException {
    public TooLarge(String message) {
      super(message);
    }
  }
}
