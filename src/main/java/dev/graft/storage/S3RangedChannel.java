package dev.graft.storage;

import dev.graft.storage.BlobStore.BlobMissing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A read-only channel over one object: reads are served from a read-ahead buffer refilled by ranged
 * GETs; a read larger than the buffer goes straight into the caller's buffer with one GET.
 */
final class S3RangedChannel implements SeekableByteChannel {

  private static final int FETCH_ATTEMPTS = 3;

  private final S3Bucket bucket;
  private final int readAhead;
  private final String key;
  private final String sha256;
  private final long size;
  private long position;
  private ByteBuffer buffer;
  private long bufferStart = -1;
  private boolean open = true;

  S3RangedChannel(S3Bucket bucket, int readAhead, String sha256, long size) {
    this.bucket = bucket;
    this.readAhead = readAhead;
    this.key = bucket.keyOf(sha256);
    this.sha256 = sha256;
    this.size = size;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    ensureOpen();
    if (position >= size) {
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    int wanted = (int) Math.min(dst.remaining(), size - position);
    if (buffer != null && position >= bufferStart && position < bufferStart + buffer.limit()) {
      int at = (int) (position - bufferStart);
      int n = Math.min(wanted, buffer.limit() - at);
      dst.put(buffer.slice(at, n));
      position += n;
      return n;
    }
    if (wanted >= readAhead) {
      // A large tensor: one GET straight into the caller's buffer, no copy through ours.
      int n = fetch(position, dst, wanted);
      position += n;
      return n;
    }
    if (buffer == null) {
      buffer = ByteBuffer.allocate((int) Math.min(readAhead, size));
    }
    int fill = (int) Math.min(buffer.capacity(), size - position);
    buffer.clear();
    bufferStart = -1;
    int got = fetch(position, buffer, fill);
    buffer.flip();
    bufferStart = position;
    int n = Math.min(wanted, got);
    dst.put(buffer.slice(0, n));
    position += n;
    return n;
  }

  /**
   * Reads {@code length} bytes at {@code from} into {@code into}; returns the count. A connection
   * dropped mid-body is retried from the start of the range (the SDK retries only failures before
   * the body), so a long tensor read survives a transient network fault.
   */
  private int fetch(long from, ByteBuffer into, int length) throws IOException {
    int start = into.position();
    for (int attempt = 1; ; attempt++) {
      try {
        return fetchOnce(from, into, length);
      } catch (BlobMissing e) {
        throw e;
      } catch (IOException e) {
        if (attempt >= FETCH_ATTEMPTS) {
          throw e;
        }
        into.position(start);
      }
    }
  }

  private int fetchOnce(long from, ByteBuffer into, int length) throws IOException {
    try (ResponseInputStream<GetObjectResponse> in = bucket.get(sha256, from, from + length - 1)) {
      int total = 0;
      byte[] chunk = into.hasArray() ? null : new byte[64 << 10];
      while (total < length) {
        int n;
        if (chunk == null) {
          n = in.read(into.array(), into.arrayOffset() + into.position(), length - total);
          if (n > 0) {
            into.position(into.position() + n);
          }
        } else {
          n = in.read(chunk, 0, Math.min(chunk.length, length - total));
          if (n > 0) {
            into.put(chunk, 0, n);
          }
        }
        if (n < 0) {
          break;
        }
        total += n;
      }
      if (total < length) {
        // The object's size is known and fixed, so a short body is a cut connection.
        throw new IOException(
            "S3 returned " + total + " of " + length + " bytes for " + key + " at " + from);
      }
      return total;
    }
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position");
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
    buffer = null;
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
