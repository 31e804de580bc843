package dev.graft.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** Test helpers for handing byte arrays to readers as channels. */
public final class Bytes {

  private Bytes() {}

  public static SeekableByteChannel channel(byte[] bytes) {
    return new SeekableByteChannel() {
      private long position;
      private boolean open = true;

      @Override
      public int read(ByteBuffer dst) {
        if (position >= bytes.length) {
          return -1;
        }
        int n = (int) Math.min(dst.remaining(), bytes.length - position);
        dst.put(bytes, (int) position, n);
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
        return bytes.length;
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
      }
    };
  }

  public static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
