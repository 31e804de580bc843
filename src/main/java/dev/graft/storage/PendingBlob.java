package dev.graft.storage;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

/**
 * Uploaded bytes held in a temporary object: hashed, sized, readable for inspection, and not yet
 * part of the store. Exactly one of {@link #commit()} or {@link #close()} decides its fate; closing
 * an uncommitted blob deletes it.
 */
public interface PendingBlob extends AutoCloseable {

  /** Lower-case hex SHA-256 of the content. */
  String sha256();

  /** Size in bytes. */
  long size();

  /** Opens the temporary content for random access (the caller closes the channel). */
  SeekableByteChannel open() throws IOException;

  /**
   * The pending content as a local file, where the store keeps it as one (for tools that need a
   * path).
   */
  default java.util.Optional<java.nio.file.Path> localFile() {
    return java.util.Optional.empty();
  }

  /**
   * CRC-32s of byte ranges of the content, for the zip readers' record checks: from the block CRCs
   * taken while the upload was written where there are some, else by reading {@code channel}.
   *
   * @param channel a channel from {@link #open()}, read for what is not known already
   */
  default dev.graft.format.zip.RangeCrc rangeCrc(SeekableByteChannel channel) {
    return dev.graft.format.zip.RangeCrc.reading(channel);
  }

  /**
   * Stores the content under its hash (nothing is stored when an object with this hash exists,
   * since the bytes are the same). The temporary copy stays until {@link #close()}, so a commit may
   * be repeated: writers commit before their transaction, then check under the blob's lock that the
   * object is still there and commit again if a collector removed it in between.
   */
  void commit() throws IOException;

  /** Deletes the temporary content unless it was committed. */
  @Override
  void close() throws IOException;
}
