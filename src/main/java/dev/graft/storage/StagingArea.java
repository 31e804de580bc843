package dev.graft.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folder where uploads and run outputs are staged before they become blobs, shared by every
 * process that uses the same data folder. Each process names its files after an instance id and
 * holds an OS lock on {@code <instance>.owner} in the sibling {@code <folder>-owners} for as long
 * as it lives; a file whose owner's lock can be taken belongs to a process that died (a crash, a
 * kill), so {@link #sweep()} removes it at once instead of waiting for it to age.
 */
final class StagingArea implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StagingArea.class);
  private static final String OWNER = ".owner";
  private static final String PART = ".part";

  private final Path dir;
  private final Path owners;
  private final String instance = UUID.randomUUID().toString();
  private final FileChannel ownerChannel;
  private final FileLock ownerLock;

  StagingArea(Path dir) throws IOException {
    this.dir = dir;
    this.owners = dir.resolveSibling(dir.getFileName() + "-owners");
    Files.createDirectories(dir);
    Files.createDirectories(owners);
    ownerChannel =
        FileChannel.open(
            owners.resolve(instance + OWNER),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
    ownerLock = ownerChannel.lock();
    sweep();
  }

  /** The folder itself. */
  Path dir() {
    return dir;
  }

  /** A fresh name for a staged file of this process (not created). */
  Path newFile() {
    return dir.resolve(instance + "." + UUID.randomUUID() + PART);
  }

  /**
   * Removes staged files whose process is gone: files of an instance whose owner lock is free, and
   * unowned files (from before instances were named) older than a day.
   *
   * @return how many files were removed
   */
  int sweep() {
    int removed = 0;
    try {
      try (Stream<Path> files = Files.list(owners)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String name = f.getFileName().toString();
          if (name.endsWith(OWNER) && !name.equals(instance + OWNER) && ownerGone(f)) {
            removed += removeInstance(name.substring(0, name.length() - OWNER.length()));
          }
        }
      }
      Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String name = f.getFileName().toString();
          boolean unowned =
              name.endsWith(PART) && name.indexOf('.') == name.length() - PART.length();
          if (unowned && Files.getLastModifiedTime(f).toInstant().isBefore(dayAgo)) {
            removed += Files.deleteIfExists(f) ? 1 : 0;
          }
        }
      }
    } catch (IOException e) {
      log.warn("could not sweep staged files in {}: {}", dir, e.toString());
    }
    if (removed > 0) {
      log.info("removed {} staged file(s) left by processes that are gone", removed);
    }
    return removed;
  }

  private static boolean ownerGone(Path ownerFile) {
    try (FileChannel ch = FileChannel.open(ownerFile, StandardOpenOption.WRITE)) {
      FileLock lock = ch.tryLock();
      if (lock == null) {
        return false;
      }
      lock.release();
      return true;
    } catch (OverlappingFileLockException sameJvm) {
      // Another store in this JVM (tests run several) holds it: alive.
      return false;
    } catch (IOException gone) {
      return false;
    }
  }

  private int removeInstance(String other) throws IOException {
    int removed = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().startsWith(other + ".")
            && f.getFileName().toString().endsWith(PART)) {
          removed += Files.deleteIfExists(f) ? 1 : 0;
        }
      }
    }
    Files.deleteIfExists(owners.resolve(other + OWNER));
    return removed;
  }

  @Override
  public void close() throws IOException {
    try {
      ownerLock.release();
    } finally {
      ownerChannel.close();
      Files.deleteIfExists(owners.resolve(instance + OWNER));
    }
  }
}
