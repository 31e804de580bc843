package dev.graft.storage;

import dev.graft.format.zip.RangeCrc;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;

/**
 * The CRC-32 of each fixed-size block of a file, recorded while the file was written, so that the
 * CRC of any byte range can be answered later without reading the file again: the blocks a range
 * covers are combined ({@link RangeCrc#combine}) and only the partial blocks at its two ends are
 * read. An upload's zip records are checked this way in the same pass that hashed it.
 */
final class BlockCrcs {

  private final int blockSize;
  private int[] crcs = new int[64];
  private int count;
  private long size;

  BlockCrcs(int blockSize) {
    this.blockSize = blockSize;
  }

  /** Records the next block's CRC; every block but the last must be exactly the block size. */
  void add(int crc, int length) {
    if (size % blockSize != 0) {
      throw new IllegalStateException("only the last block may be short");
    }
    if (count == crcs.length) {
      crcs = Arrays.copyOf(crcs, count * 2);
    }
    crcs[count++] = crc;
    size += length;
  }

  /**
   * Range CRCs over the file these blocks describe: combined from the recorded blocks, with the
   * partial blocks at the ends read from {@code file}.
   */
  RangeCrc over(SeekableByteChannel file) {
    RangeCrc reading = RangeCrc.reading(file);
    return (offset, length) -> {
      long end = offset + length;
      if (length < 2L * blockSize || offset < 0 || end > size) {
        return reading.crc32(offset, length);
      }
      long firstFull = (offset + blockSize - 1) / blockSize * blockSize;
      long endFull = end / blockSize * blockSize;
      int crc = reading.crc32(offset, firstFull - offset);
      for (long at = firstFull; at < endFull; at += blockSize) {
        crc = RangeCrc.combine(crc, crcs[(int) (at / blockSize)], blockSize);
      }
      return RangeCrc.combine(crc, reading.crc32(endFull, end - endFull), end - endFull);
    };
  }
}
