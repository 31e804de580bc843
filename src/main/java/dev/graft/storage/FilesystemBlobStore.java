package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Blobs as files under a root folder: {@code sha256/ab/cd/<hash>} for content, {@code tmp/} for
 * pending uploads. Commits are atomic renames within one filesystem, so a reader never sees a
 * partly written object.
 */
public class FilesystemBlobStore extends StagingBlobStore {

  private final Path root;

  /** Creates the store's folders under {@code root}. */
  public FilesystemBlobStore(Path root) throws IOException {
    super(root.toAbsolutePath().resolve("tmp"));
    this.root = root.toAbsolutePath();
  }

  @Override
  public void probe() throws IOException {
    if (!java.nio.file.Files.isDirectory(root) || !java.nio.file.Files.isWritable(root)) {
      throw new IOException("blob folder " + root + " is missing or not writable");
    }
  }

  @Override
  PendingBlob pending(Path staged, String sha256, long size, BlockCrcs crcs) {
    return new FilePendingBlob(staged, sha256, size, crcs);
  }

  @Override
  public java.util.List<String> storedBefore(java.time.Instant cutoff) throws IOException {
    Path dir = root.resolve("sha256");
    if (!Files.isDirectory(dir)) {
      return java.util.List.of();
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dir, 3)) {
      return files
          .filter(f -> f.getFileName().toString().matches("[0-9a-f]{64}"))
          .filter(
              f -> {
                try {
                  return Files.getLastModifiedTime(f).toInstant().isBefore(cutoff);
                } catch (IOException e) {
                  return false; // removed meanwhile
                }
              })
          .map(f -> f.getFileName().toString())
          .toList();
    }
  }

  @Override
  public boolean exists(String sha256) {
    return Files.isRegularFile(pathOf(sha256));
  }

  @Override
  public long size(String sha256) throws IOException {
    try {
      return Files.size(pathOf(sha256));
    } catch (NoSuchFileException e) {
      throw new BlobMissing(sha256);
    }
  }

  @Override
  public SeekableByteChannel open(String sha256) throws IOException {
    try {
      return FileChannel.open(pathOf(sha256), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new BlobMissing(sha256);
    }
  }

  @Override
  public InputStream openRange(String sha256, long offset, long length) throws IOException {
    FileChannel ch = (FileChannel) open(sha256);
    ch.position(offset);
    InputStream whole = Channels.newInputStream(ch);
    return new BoundedInputStream(whole, length);
  }

  @Override
  public Optional<Path> localPath(String sha256) {
    Path p = pathOf(sha256);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  @Override
  public void delete(String sha256) throws IOException {
    Files.deleteIfExists(pathOf(sha256));
  }

  Path pathOf(String sha256) {
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256: " + sha256);
    }
    return root.resolve("sha256")
        .resolve(sha256.substring(0, 2))
        .resolve(sha256.substring(2, 4))
        .resolve(sha256);
  }

  private final class FilePendingBlob extends LocalPendingBlob {
    private boolean committed;

    FilePendingBlob(Path file, String sha256, long size, BlockCrcs crcs) {
      super(file, sha256, size, crcs);
    }

    @Override
    public void commit() throws IOException {
      Path target = pathOf(sha256());
      Files.createDirectories(target.getParent());
      if (Files.exists(target)) {
        committed = true;
        return;
      }
      // A hard link keeps the staged file until close(), so the content can be committed again
      // should a collector remove the object before the rows naming it are written.
      Path temp = target.resolveSibling(target.getFileName() + "." + java.util.UUID.randomUUID());
      try {
        Files.createLink(temp, file);
      } catch (UnsupportedOperationException | IOException e) {
        // File systems without hard links (some network and FUSE mounts throw
        // UnsupportedOperationException) and a staging folder on another device (IOException) get
        // a full copy instead, which keeps the same guarantee at the cost of the bytes.
        Files.copy(file, temp);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        if (!Files.exists(target)) {
          throw e;
        }
      } finally {
        Files.deleteIfExists(temp);
      }
      committed = true;
    }

    @Override
    public void close() throws IOException {
      Files.deleteIfExists(file);
    }
  }

  /** Reads at most a given number of bytes, then reports the end. */
  static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long left;

    BoundedInputStream(InputStream in, long left) {
      this.in = in;
      this.left = left;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
