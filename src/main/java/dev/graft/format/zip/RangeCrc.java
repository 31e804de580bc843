package dev.graft.format.zip;

import dev.graft.format.FormatException;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.zip.CRC32;

/**
 * Supplies the CRC-32 (ISO-HDLC, as zip uses it) of a byte range of the file a reader is given, so
 * that a torch zip's stored records can be checked against their headers.
 *
 * <p>{@link #reading} computes it by reading the channel with {@link CRC32}, which the JVM
 * accelerates. A caller that has already seen the bytes, such as a store that hashed the upload in
 * fixed blocks, can instead keep each block's CRC-32 and answer for any range with {@link
 * #combine}: the CRC of the blocks a range covers, combined left to right, plus the partial blocks
 * at its ends, without reading the file again.
 */
@FunctionalInterface
public interface RangeCrc {

  /**
   * The CRC-32 of {@code length} bytes of the file from {@code offset}.
   *
   * @param offset the first byte, counted from the start of the file
   * @param length how many bytes; may be 0
   * @return the CRC-32 as {@link CRC32#getValue()} gives it, cast to {@code int}
   * @throws FormatException when the range lies outside the file
   * @throws IOException when the file cannot be read
   */
  int crc32(long offset, long length) throws IOException;

  /**
   * Computes range CRCs by reading {@code file} through one 1 MiB window, so consecutive small
   * records cost one read per window; memory stays constant whatever the range.
   */
  static RangeCrc reading(SeekableByteChannel file) {
    ChannelWindow[] window = new ChannelWindow[1];
    return (offset, length) -> {
      if (window[0] == null) {
        window[0] = new ChannelWindow(file, 1 << 20);
      }
      CRC32 crc = new CRC32();
      window[0].update(crc, offset, length, "a zip record");
      return (int) crc.getValue();
    };
  }

  /**
   * The CRC-32 of {@code A || B} from {@code crc(A)}, {@code crc(B)} and the length of {@code B},
   * as zlib's {@code crc32_combine}.
   *
   * <p>Why it works: CRC-32 is an affine function of its input over GF(2). Writing the register
   * update for one zero bit as a 32x32 matrix M (shift right, and xor the reflected polynomial
   * 0xEDB88320 when the bit shifted out is 1), the pre- and post-inversions cancel between {@code
   * crc(A || B)} and {@code crc(B)}, leaving {@code crc(A || B) = M^(8 len(B)) crc(A) xor crc(B)}.
   * M^(8 * 2^k) for every k is computed once by squaring, so a combine costs one matrix-vector
   * product per set bit of {@code len(B)}.
   *
   * @param crcA the CRC-32 of the first part
   * @param crcB the CRC-32 of the second part
   * @param lengthB the length of the second part in bytes; 0 or less returns {@code crcA}
   * @return the CRC-32 of both parts one after the other
   */
  static int combine(int crcA, int crcB, long lengthB) {
    if (lengthB <= 0) {
      return crcA;
    }
    int register = crcA;
    for (int k = 0; lengthB != 0; k++, lengthB >>>= 1) {
      if ((lengthB & 1) != 0) {
        register = Crc32Operators.times(Crc32Operators.ZERO_BYTES_POW2[k], register);
      }
    }
    return register ^ crcB;
  }
}
