package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * What every store shares: new content is staged as a local file in {@code tmp/} (received, hashed
 * and written by {@link HashingFileWriter}, or adopted from a finished file), and each store
 * decides what committing a staged file means.
 */
abstract class StagingBlobStore implements BlobStore {

  protected final Path tmp;

  StagingBlobStore(Path tmp) throws IOException {
    this.tmp = tmp;
    Files.createDirectories(tmp);
    removeAbandoned(tmp);
  }

  /**
   * Staged files outlive their upload only when a process died mid-upload; a day later nothing can
   * still be writing them (other processes sharing the folder included), so they are removed.
   */
  private static void removeAbandoned(Path tmp) throws IOException {
    java.time.Instant dayAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(1));
    try (java.util.stream.Stream<Path> files = Files.list(tmp)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".part")
            && Files.getLastModifiedTime(f).toInstant().isBefore(dayAgo)) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  /** The folder pending uploads are staged in. */
  public Path tmpDir() {
    return tmp;
  }

  /** A pending blob for a staged file of known hash and size. */
  abstract PendingBlob pending(Path staged, String sha256, long size);

  @Override
  public PendingBlob write(InputStream in, long maxBytes) throws IOException {
    Path file = tmp.resolve(UUID.randomUUID() + ".part");
    boolean ok = false;
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      HashingFileWriter.Result r = HashingFileWriter.copy(in, out, maxBytes);
      ok = true;
      return pending(file, r.sha256(), r.size());
    } finally {
      if (!ok) {
        Files.deleteIfExists(file);
      }
    }
  }

  @Override
  public PendingBlob adopt(Path file) throws IOException {
    HashingFileWriter.Result r = LocalFiles.hash(file);
    return adopt(file, r.sha256(), r.size());
  }

  @Override
  public PendingBlob adopt(Path file, String sha256, long size) throws IOException {
    return pending(LocalFiles.stage(tmp, file), sha256, size);
  }
}
