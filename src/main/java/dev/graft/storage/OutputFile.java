package dev.graft.storage;

import dev.graft.format.RegionSink;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A new file written front to back by one thread, hashed (SHA-256) by a second thread that reads
 * the file back from the page cache a little behind the writer, and written back to the disk in the
 * background as it grows.
 *
 * <p>The writer's thread only copies bytes into the file, so hashing, which is the slowest part of
 * producing an artifact, runs beside it instead of after each write, and the final flush finds
 * little left to do. The hash is of the bytes in the file, not of the buffers handed to {@link
 * #write}, so a caller may reuse its buffers at once. Memory is one fixed read buffer, whatever the
 * file's size.
 */
public final class OutputFile implements RegionSink {

  /** What was written: the file, its SHA-256 and its size. */
  public record Written(Path file, String sha256, long size) {}

  static final int READ_BUFFER = 1 << 20;
  private static final long FLUSH_EVERY = 64L << 20;
  private static final int SMALL_WRITE = 64 << 10;
  private static final int SMALL_BUFFER = 256 << 10;

  private static final ExecutorService THREADS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "graft-output-hasher");
            t.setDaemon(true);
            return t;
          });

  private final Path path;
  private final FileChannel out;
  private final FileChannel in;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition progressed = lock.newCondition();
  private final CompletableFuture<String> hash;
  // Guarded by lock: bytes written so far, and whether the writer has finished or given up.
  private long written;
  private boolean ended;
  private boolean abandoned;
  private long signalled;
  private long flushedAt;
  private final ByteBuffer small = ByteBuffer.allocateDirect(SMALL_BUFFER);
  private CompletableFuture<Void> flush = CompletableFuture.completedFuture(null);

  private OutputFile(Path path, FileChannel out, FileChannel in) {
    this.path = path;
    this.out = out;
    this.in = in;
    this.hash = CompletableFuture.supplyAsync(this::hashLoop, THREADS);
  }

  /**
   * Creates the file, which must not exist yet.
   *
   * @throws java.nio.file.FileAlreadyExistsException when it does
   */
  public static OutputFile create(Path path) throws IOException {
    FileChannel out =
        FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      return new OutputFile(path, out, FileChannel.open(path, StandardOpenOption.READ));
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** The file being written. */
  public Path path() {
    return path;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    checkWritable();
    int n = src.remaining();
    if (n < SMALL_WRITE) {
      // Zip headers, data descriptors, small tensors: gathered, so that a model of 200,000 tensors
      // is not a million tiny write calls.
      if (n > small.remaining()) {
        drainSmall();
      }
      small.put(src);
      return n;
    }
    drainSmall();
    int w = out.write(src);
    advanced(w);
    return w;
  }

  /**
   * Appends a region of another file, copied by the kernel without passing through this process.
   */
  @Override
  public void transferFrom(FileChannel source, long position, long count) throws IOException {
    checkWritable();
    drainSmall();
    long done = 0;
    while (done < count) {
      long n = source.transferTo(position + done, count - done, out);
      if (n <= 0) {
        throw new EOFException(
            "the source ends before byte "
                + (position + count)
                + " (at "
                + (position + done)
                + ")");
      }
      done += n;
      advanced(n);
    }
  }

  /** Writes out the gathered small writes. */
  private void drainSmall() throws IOException {
    if (small.position() == 0) {
      return;
    }
    small.flip();
    long n = small.remaining();
    while (small.hasRemaining()) {
      out.write(small);
    }
    small.clear();
    advanced(n);
  }

  private void checkWritable() {
    lock.lock();
    try {
      if (ended) {
        throw new IllegalStateException(
            "the output file " + path + " is already finished or closed");
      }
    } finally {
      lock.unlock();
    }
  }

  private void advanced(long n) {
    long now;
    lock.lock();
    try {
      written += n;
      now = written;
      // The hasher is woken once a read buffer's worth is waiting, not at every write.
      if (now - signalled >= READ_BUFFER) {
        signalled = now;
        progressed.signalAll();
      }
    } finally {
      lock.unlock();
    }
    // Start writing back what is already in the page cache, so the final force is short.
    if (now - flushedAt >= FLUSH_EVERY && flush.isDone()) {
      flushedAt = now;
      flush = CompletableFuture.runAsync(this::forceQuietly, THREADS);
    }
  }

  /**
   * Flushes the file to the disk and waits for the hash to catch up with the last byte.
   *
   * @return the file with its SHA-256 and size
   */
  public Written finish() throws IOException {
    checkWritable();
    drainSmall();
    long size;
    lock.lock();
    try {
      ended = true;
      size = written;
      progressed.signalAll();
    } finally {
      lock.unlock();
    }
    // Durable before a row can point at it: the registry must not outlive its blobs after a
    // crash. The hasher keeps reading meanwhile.
    join(flush);
    out.force(true);
    return new Written(path, join(hash), size);
  }

  @Override
  public boolean isOpen() {
    return out.isOpen();
  }

  /** Stops the hasher and closes the file (which stays on disk; its owner deletes it). */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      abandoned = !ended || !hash.isDone();
      ended = true;
      progressed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      if (abandoned) {
        try {
          hash.join();
        } catch (RuntimeException ignored) {
          // the writer failed first; its failure is the one that matters
        }
      }
      flush.exceptionally(e -> null).join();
    } finally {
      try (FileChannel a = out;
          FileChannel b = in) {
        // both closed, the second even if the first fails
      }
    }
  }

  private String hashLoop() {
    MessageDigest digest = sha256();
    byte[] array = new byte[READ_BUFFER];
    ByteBuffer buf = ByteBuffer.wrap(array);
    long hashed = 0;
    try {
      while (true) {
        long upTo;
        lock.lock();
        try {
          while (written - hashed < READ_BUFFER && !ended) {
            progressed.await();
          }
          if (abandoned) {
            throw new CancellationException("output file abandoned");
          }
          upTo = written;
          if (upTo == hashed && ended) {
            return HexFormat.of().formatHex(digest.digest());
          }
        } finally {
          lock.unlock();
        }
        while (hashed < upTo) {
          buf.clear().limit((int) Math.min(READ_BUFFER, upTo - hashed));
          while (buf.hasRemaining()) {
            if (in.read(buf, hashed + buf.position()) < 0) {
              throw new IOException(path + " ended at " + (hashed + buf.position()) + " bytes");
            }
          }
          digest.update(array, 0, buf.limit());
          hashed += buf.limit();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("output hasher interrupted");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void forceQuietly() {
    try {
      out.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T join(CompletableFuture<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while finishing an output file");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw new IOException("the output hasher failed: " + c, c);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
