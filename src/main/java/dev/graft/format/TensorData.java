package dev.graft.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Reads a tensor's elements from a checkpoint file as described by its {@link TensorInfo}: in
 * row-major order, little-endian, honouring the storage offset and strides of views.
 */
public final class TensorData {

  private static final int CHUNK = 1 << 20;

  private TensorData() {}

  /**
   * Reads a tensor's elements contiguously.
   *
   * @param file the checkpoint file the index was read from
   * @param t the tensor
   * @return {@code numel * itemSize} bytes, row-major, little-endian
   * @throws FormatException when the tensor is over 2 GB or its storage lies outside the file
   * @throws IOException when the channel cannot be read
   */
  public static byte[] readContiguous(SeekableByteChannel file, TensorInfo t) throws IOException {
    long size = t.sizeBytes();
    if (size > Integer.MAX_VALUE - 8) {
      throw FormatException.limit(
          "tensor "
              + FormatException.quote(t.key())
              + " of "
              + size
              + " bytes is too large to read into memory");
    }
    byte[] out = new byte[(int) size];
    if (size == 0) {
      return out;
    }
    int item = t.dtype().itemSize();
    if (t.contiguous()) {
      readFully(file, t.byteStart(), ByteBuffer.wrap(out), tensorName(t));
    } else {
      long spanBytes = t.byteEnd() - t.byteStart();
      if (spanBytes > Integer.MAX_VALUE - 8) {
        throw FormatException.limit(
            "tensor "
                + FormatException.quote(t.key())
                + " spans too many bytes to gather in memory");
      }
      byte[] span = new byte[(int) spanBytes];
      readFully(file, t.byteStart(), ByteBuffer.wrap(span), tensorName(t));
      gather(t, span, out);
    }
    if (t.byteOrder() == ByteOrder.BIG_ENDIAN) {
      swap(out, t.dtype());
    }
    return out;
  }

  /**
   * Writes a tensor's elements contiguously to {@code out}, streaming contiguous tensors in chunks.
   *
   * @param file the checkpoint file the index was read from
   * @param t the tensor
   * @param out where to write {@code numel * itemSize} bytes, row-major, little-endian
   * @throws FormatException when a non-contiguous tensor is over 2 GB or the storage lies outside
   *     the file
   * @throws IOException when a channel cannot be read or written
   */
  public static void copyContiguous(SeekableByteChannel file, TensorInfo t, WritableByteChannel out)
      throws IOException {
    if (!t.contiguous()) {
      writeAll(out, ByteBuffer.wrap(readContiguous(file, t)));
      return;
    }
    long remaining = t.sizeBytes();
    long position = t.byteStart();
    int item = t.dtype().itemSize();
    // Whole elements per chunk, so a big-endian swap never straddles two chunks.
    int chunk = CHUNK - CHUNK % item;
    while (remaining > 0) {
      int n = (int) Math.min(chunk, remaining);
      ByteBuffer buf = ByteBuffer.allocate(n);
      readFully(file, position, buf, tensorName(t));
      if (t.byteOrder() == ByteOrder.BIG_ENDIAN) {
        swap(buf.array(), t.dtype());
      }
      buf.flip();
      writeAll(out, buf);
      position += n;
      remaining -= n;
    }
  }

  private static void gather(TensorInfo t, byte[] span, byte[] out) {
    int rank = t.shape().size();
    int item = t.dtype().itemSize();
    long[] index = new long[rank];
    long n = t.numel();
    int at = 0;
    for (long e = 0; e < n; e++) {
      long element = 0;
      for (int d = 0; d < rank; d++) {
        element += index[d] * t.strides().get(d);
      }
      System.arraycopy(span, (int) (element * item), out, at, item);
      at += item;
      for (int d = rank - 1; d >= 0; d--) {
        if (++index[d] < t.shape().get(d)) {
          break;
        }
        index[d] = 0;
      }
    }
  }

  /**
   * Reverses the byte order of every element in place, as reading a big-endian archive needs;
   * complex numbers are swapped part by part.
   *
   * @param b whole elements of {@code dtype}
   * @param dtype their type
   */
  public static void swap(byte[] b, DType dtype) {
    // Complex numbers are two floats, each swapped on its own.
    int width =
        dtype == DType.COMPLEX64 || dtype == DType.COMPLEX128
            ? dtype.itemSize() / 2
            : dtype.itemSize();
    if (width == 1) {
      return;
    }
    for (int i = 0; i + width <= b.length; i += width) {
      for (int j = 0; j < width / 2; j++) {
        byte tmp = b[i + j];
        b[i + j] = b[i + width - 1 - j];
        b[i + width - 1 - j] = tmp;
      }
    }
  }

  // The one positioned read of the root package, which depends on no other format package; the
  // readers share theirs in format.internal.
  private static void readFully(SeekableByteChannel ch, long position, ByteBuffer buf, String what)
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

  private static void writeAll(WritableByteChannel out, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      out.write(buf);
    }
  }

  private static String tensorName(TensorInfo t) {
    return "tensor " + FormatException.quote(t.key());
  }
}
