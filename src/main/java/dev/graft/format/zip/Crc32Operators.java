package dev.graft.format.zip;

/**
 * The GF(2) operators behind {@link RangeCrc#combine}: 32x32 bit matrices stored as 32 column
 * vectors, column i being the image of bit i of the CRC register.
 */
final class Crc32Operators {

  /** ZERO_BYTES_POW2[k] advances a CRC-32 register over 2^k zero bytes, for k up to 62. */
  static final int[][] ZERO_BYTES_POW2 = new int[63][];

  static {
    int[] oneZeroBit = new int[32];
    oneZeroBit[0] = 0xedb88320; // bit 0 shifted out: xor the reflected polynomial
    for (int i = 1; i < 32; i++) {
      oneZeroBit[i] = 1 << (i - 1); // every other bit moves one place towards bit 0
    }
    int[] m = square(square(square(oneZeroBit))); // 8 zero bits: one zero byte
    for (int k = 0; k < ZERO_BYTES_POW2.length; k++) {
      ZERO_BYTES_POW2[k] = m;
      m = square(m);
    }
  }

  private Crc32Operators() {}

  /** The matrix times a vector: the xor of the columns whose bit is set. */
  static int times(int[] matrix, int vector) {
    int sum = 0;
    for (int i = 0; vector != 0; i++, vector >>>= 1) {
      if ((vector & 1) != 0) {
        sum ^= matrix[i];
      }
    }
    return sum;
  }

  /** The matrix times itself: column i of M^2 is M times column i of M. */
  static int[] square(int[] matrix) {
    int[] out = new int[32];
    for (int i = 0; i < 32; i++) {
      out[i] = times(matrix, matrix[i]);
    }
    return out;
  }
}
