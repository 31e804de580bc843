package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Copies a stream into a file while hashing it, as a three-stage pipeline: the caller's thread only
 * receives, a second thread hashes, a third writes, and the file is flushed to disk in the
 * background as it grows, so receiving, hashing and the disk all work at once and an upload costs
 * about its slowest stage. Memory is a fixed ring of buffers, whatever the stream's size.
 */
final class HashingFileWriter {

  /** Result of a copy. */
  record Result(String sha256, long size, BlockCrcs blockCrcs) {}

  /**
   * One ring buffer's size: a 512th of the heap, between 256 KiB and 4 MiB, so that the default
   * bound of 8 concurrent uploads holds at most 1/16 of the heap in upload buffers (4 buffers
   * each), whatever heap the process is given.
   */
  static final int BUFFER =
      Integer.highestOneBit(
          (int) Math.max(256 << 10, Math.min(4 << 20, Runtime.getRuntime().maxMemory() / 512)));

  private static final int DEPTH = 4;
  private static final long FLUSH_EVERY = 256L << 20;
  private static final ByteBuffer END = ByteBuffer.allocate(0);

  private static final ExecutorService THREADS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "graft-blob-writer");
            t.setDaemon(true);
            return t;
          });

  private HashingFileWriter() {}

  /**
   * Copies {@code in} to {@code out} and forces it to disk.
   *
   * @throws BlobStore.TooLarge when more than {@code maxBytes} arrive
   */
  static Result copy(InputStream in, FileChannel out, long maxBytes) throws IOException {
    // Room for every buffer plus two end markers: no put can block once a stage has stopped.
    BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(DEPTH);
    BlockingQueue<ByteBuffer> filled = new ArrayBlockingQueue<>(DEPTH + 2);
    BlockingQueue<ByteBuffer> hashed = new ArrayBlockingQueue<>(DEPTH + 2);
    for (int i = 0; i < DEPTH; i++) {
      free.add(ByteBuffer.allocate(BUFFER));
    }
    MessageDigest digest = sha256();
    CompletableFuture<Long> hasher =
        CompletableFuture.supplyAsync(() -> hashLoop(filled, hashed, digest), THREADS);
    // The writer, which mostly waits on the disk, also takes each buffer's CRC-32 for the zip
    // readers: the upload is read once for the hash and the CRCs together.
    BlockCrcs crcs = new BlockCrcs(BUFFER);
    CompletableFuture<Long> writeStage =
        CompletableFuture.supplyAsync(() -> writeLoop(hashed, free, out, crcs), THREADS);
    // Either stage failing stops the receiver; the receiver waits on both.
    CompletableFuture<Long> writer =
        CompletableFuture.anyOf(hasher, writeStage)
            .thenCompose(first -> hasher.thenCombine(writeStage, (h, w) -> w));
    long total = 0;
    try {
      while (true) {
        ByteBuffer buf = take(free, writer);
        int n = in.readNBytes(buf.array(), 0, BUFFER);
        if (n <= 0) {
          put(filled, END, writer);
          break;
        }
        total += n;
        if (total > maxBytes) {
          throw new BlobStore.TooLarge("upload exceeds the limit of " + maxBytes + " bytes");
        }
        buf.clear().limit(n);
        put(filled, buf, writer);
      }
      long written = join(writer);
      if (written != total) {
        throw new IOException("blob writer wrote " + written + " of " + total + " bytes");
      }
      // Durable before a row can point at it: the registry must not outlive its blobs after a
      // crash.
      out.force(true);
      return new Result(HexFormat.of().formatHex(digest.digest()), total, crcs);
    } catch (IOException | RuntimeException e) {
      hasher.cancel(true);
      writeStage.cancel(true);
      filled.clear();
      filled.offer(END);
      hashed.clear();
      hashed.offer(END);
      throw e;
    }
  }

  private static long hashLoop(
      BlockingQueue<ByteBuffer> filled, BlockingQueue<ByteBuffer> hashed, MessageDigest digest) {
    long n = 0;
    try {
      while (true) {
        ByteBuffer buf = filled.take();
        if (buf != END) {
          digest.update(buf.array(), 0, buf.limit());
          n += buf.limit();
        }
        hashed.put(buf);
        if (buf == END) {
          return n;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.util.concurrent.CancellationException("blob hasher interrupted");
    }
  }

  private static long writeLoop(
      BlockingQueue<ByteBuffer> filled,
      BlockingQueue<ByteBuffer> free,
      FileChannel out,
      BlockCrcs crcs) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    long written = 0;
    long flushedAt = 0;
    CompletableFuture<Void> flush = CompletableFuture.completedFuture(null);
    try {
      while (true) {
        ByteBuffer buf = filled.take();
        if (buf == END) {
          flush.join();
          return written;
        }
        crc.reset();
        crc.update(buf.array(), 0, buf.limit());
        crcs.add((int) crc.getValue(), buf.limit());
        while (buf.hasRemaining()) {
          out.write(buf);
        }
        written += buf.limit();
        free.put(buf);
        // Start writing back what is already in the page cache, so the final force is short.
        if (written - flushedAt >= FLUSH_EVERY && flush.isDone()) {
          flushedAt = written;
          flush =
              CompletableFuture.runAsync(
                  () -> {
                    try {
                      out.force(false);
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  },
                  THREADS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.util.concurrent.CancellationException("blob writer interrupted");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ByteBuffer take(BlockingQueue<ByteBuffer> q, CompletableFuture<Long> writer)
      throws IOException {
    try {
      while (true) {
        ByteBuffer b = q.poll(100, TimeUnit.MILLISECONDS);
        if (b != null) {
          return b;
        }
        if (writer.isDone()) {
          join(writer); // surfaces the writer's failure
          throw new IOException("blob writer stopped early");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while storing an upload");
    }
  }

  private static void put(BlockingQueue<ByteBuffer> q, ByteBuffer b, CompletableFuture<Long> writer)
      throws IOException {
    try {
      while (!q.offer(b, 100, TimeUnit.MILLISECONDS)) {
        if (writer.isDone()) {
          join(writer);
          throw new IOException("blob writer stopped early");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while storing an upload");
    }
  }

  private static long join(CompletableFuture<Long> writer) throws IOException {
    try {
      return writer.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while storing an upload");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof java.io.UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof java.util.concurrent.CompletionException ce
          && ce.getCause() instanceof java.io.UncheckedIOException u) {
        throw u.getCause();
      }
      throw new IOException("blob writer failed: " + c, c);
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
