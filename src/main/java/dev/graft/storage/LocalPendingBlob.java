package dev.graft.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/** A pending blob staged as a local file, whatever store it is headed for. */
abstract class LocalPendingBlob implements PendingBlob {

  protected final Path file;
  private final String sha256;
  private final long size;

  private final BlockCrcs crcs;

  LocalPendingBlob(Path file, String sha256, long size, BlockCrcs crcs) {
    this.crcs = crcs;
    this.file = file;
    this.sha256 = sha256;
    this.size = size;
  }

  @Override
  public String sha256() {
    return sha256;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public SeekableByteChannel open() throws IOException {
    return FileChannel.open(file, StandardOpenOption.READ);
  }

  @Override
  public Optional<Path> localFile() {
    return Files.exists(file) ? Optional.of(file) : Optional.empty();
  }

  @Override
  public dev.graft.format.zip.RangeCrc rangeCrc(SeekableByteChannel channel) {
    return crcs == null ? PendingBlob.super.rangeCrc(channel) : crcs.over(channel);
  }
}
