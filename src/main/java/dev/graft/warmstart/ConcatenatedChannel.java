package dev.graft.warmstart;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;

/**
 * Several blobs read as one, one after another: a sharded checkpoint's shards, at the offsets its
 * index gives (see {@code CheckpointReader.readSharded}). A read stops at the end of a part; the
 * next read goes on in the next. Read-only; closing it closes every part.
 */
final class ConcatenatedChannel implements SeekableByteChannel {

  private final List<SeekableByteChannel> parts;
  private final long[] starts;
  private final long size;
  private long position;
  private boolean open = true;

  ConcatenatedChannel(List<SeekableByteChannel> parts, List<Long> sizes) {
    this.parts = List.copyOf(parts);
    this.starts = new long[parts.size()];
    long at = 0;
    for (int i = 0; i < parts.size(); i++) {
      starts[i] = at;
      at += sizes.get(i);
    }
    this.size = at;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!open) {
      throw new java.nio.channels.ClosedChannelException();
    }
    if (position >= size) {
      return -1;
    }
    int i = parts.size() - 1;
    while (starts[i] > position) {
      i--;
    }
    long end = i + 1 < parts.size() ? starts[i + 1] : size;
    SeekableByteChannel part = parts.get(i);
    part.position(position - starts[i]);
    int room = (int) Math.min(dst.remaining(), end - position);
    ByteBuffer window = dst.slice(dst.position(), room);
    int n = part.read(window);
    if (n < 0) {
      throw new java.io.EOFException(
          "shard " + i + " ends before its " + (end - starts[i]) + " bytes");
    }
    dst.position(dst.position() + n);
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
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position " + newPosition);
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
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
  public void close() throws IOException {
    open = false;
    IOException failed = null;
    for (SeekableByteChannel ch : parts) {
      try {
        ch.close();
      } catch (IOException e) {
        failed = failed == null ? e : failed;
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}
