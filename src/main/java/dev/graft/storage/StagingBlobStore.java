package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What every store shares: new content is staged as a local file in {@code tmp/} (received, hashed
 * and written by {@link HashingFileWriter}, or adopted from a finished file), and each store
 * decides what committing a staged file means.
 */
abstract class StagingBlobStore implements BlobStore {

  protected final Path tmp;
  private final StagingArea staging;

  StagingBlobStore(Path tmp) throws IOException {
    this.tmp = tmp;
    this.staging = new StagingArea(tmp);
  }

  /** The folder pending uploads are staged in. */
  public Path tmpDir() {
    return tmp;
  }

  /**
   * Removes staged files left by processes that are gone (see {@link StagingArea}); run at start
   * and then periodically.
   *
   * @return how many files were removed
   */
  public int sweepStaging() {
    return staging.sweep();
  }

  /** A pending blob for a staged file of known hash and size. */
  abstract PendingBlob pending(Path staged, String sha256, long size, BlockCrcs crcs);

  @Override
  public PendingBlob write(InputStream in, long maxBytes) throws IOException {
    Path file = staging.newFile();
    boolean ok = false;
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      HashingFileWriter.Result r = HashingFileWriter.copy(in, out, maxBytes);
      ok = true;
      return pending(file, r.sha256(), r.size(), r.blockCrcs());
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
    return pending(LocalFiles.stage(staging.newFile(), file), sha256, size, null);
  }
}
