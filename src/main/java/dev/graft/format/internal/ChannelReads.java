package dev.graft.format.internal;

import dev.graft.format.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;

/** Positioned reads from a channel that fail loudly on a short file instead of returning less. */
public final class ChannelReads {

  private ChannelReads() {}

  /**
   * Reads a file's first bytes, as many as it has up to {@code max}.
   *
   * @param ch the whole file
   * @param max the most bytes wanted
   * @return {@code min(max, size)} bytes from offset 0
   * @throws IOException when the channel cannot be read
   */
  public static byte[] head(SeekableByteChannel ch, int max) throws IOException {
    int n = (int) Math.min(max, ch.size());
    byte[] b = new byte[n];
    readAt(ch, 0, n, "the file header").get(b);
    return b;
  }

  /**
   * Reads exactly {@code length} bytes at {@code position} into a little-endian buffer.
   *
   * @throws FormatException when the file ends first, naming {@code what}
   * @throws IOException when the channel cannot be read
   */
  public static ByteBuffer readAt(SeekableByteChannel ch, long position, int length, String what)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, position, buf, what);
    buf.flip();
    return buf;
  }

  /**
   * Fills {@code buf} from {@code position}.
   *
   * @throws FormatException when the file ends first, naming {@code what}
   * @throws IOException when the channel cannot be read
   */
  public static void readFully(SeekableByteChannel ch, long position, ByteBuffer buf, String what)
      throws IOException {
    long pos = position;
    ch.position(pos);
    while (buf.hasRemaining()) {
      int n = ch.read(buf);
      if (n < 0) {
        throw FormatException.malformed(
            "file ends inside " + what + " (at byte offset " + pos + ")");
      }
      pos += n;
    }
  }
}
