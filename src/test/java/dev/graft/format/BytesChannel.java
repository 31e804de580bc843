package dev.graft.format;

import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only in-memory channel for tests. It can claim a larger size than the bytes it holds (the
 * rest reads as zeros), to show that a reader checks a declared length before it allocates.
 */
public final class BytesChannel implements SeekableByteChannel {

  private final byte[] bytes;
  private final long size;
  private long position;
  private boolean open = true;

  public BytesChannel(byte[] bytes) {
    this(bytes, bytes.length);
  }

  public BytesChannel(byte[] bytes, long claimedSize) {
    this.bytes = bytes;
    this.size = claimedSize;
  }

  @Override
  public int read(ByteBuffer dst) {
    if (position >= size) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), size - position);
    for (int i = 0; i < n; i++) {
      long p = position + i;
      dst.put(p < bytes.length ? bytes[(int) p] : 0);
    }
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long newSize) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
  }
}
