package dev.graft.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Staging of local files that become blobs: hashing a finished file, moving it into a tmp folder.
 */
final class LocalFiles {

  private LocalFiles() {}

  /** SHA-256 and size of a file, read once; the file is forced to disk on the way. */
  static HashingFileWriter.Result hash(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    long size = 0;
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(4 << 20);
      int n;
      while ((n = in.read(buf.clear())) > 0) {
        digest.update(buf.array(), 0, n);
        size += n;
      }
      in.force(true);
    }
    return new HashingFileWriter.Result(HexFormat.of().formatHex(digest.digest()), size, null);
  }

  /** Moves {@code file} to {@code pending}, a fresh staging name (a rename where possible). */
  static Path stage(Path pending, Path file) throws IOException {
    try {
      Files.move(file, pending, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.copy(file, pending);
      Files.delete(file);
    }
    return pending;
  }
}
