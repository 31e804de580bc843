package dev.graft.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.zip.RangeCrc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRC-32 of any range of an upload, answered from the block CRCs taken while it was written,
 * equals the CRC-32 of those bytes, and a range of many blocks reads only its two partial ends.
 */
class BlockCrcsTests {

  @TempDir Path root;

  @Test
  void shouldAnswerEveryRangeAsCrc32DoesReadingOnlyThePartialEnds() throws Exception {
    byte[] data = new byte[5 * HashingFileWriter.BUFFER + 12_345];
    new Random(7).nextBytes(data);
    FilesystemBlobStore store = new FilesystemBlobStore(root);
    try (PendingBlob blob = store.write(new ByteArrayInputStream(data), Long.MAX_VALUE);
        Counting ch = new Counting(blob.open())) {
      RangeCrc crc = blob.rangeCrc(ch);
      Random r = new Random(11);
      for (int i = 0; i < 300; i++) {
        long offset = r.nextInt(data.length);
        long length = r.nextInt((int) (data.length - offset) + 1);
        assertThat(crc.crc32(offset, length))
            .as("range %d+%d", offset, length)
            .isEqualTo(direct(data, (int) offset, (int) length));
      }
      ch.read = 0;
      long offset = 100;
      long length = data.length - 200;
      assertThat(crc.crc32(offset, length)).isEqualTo(direct(data, (int) offset, (int) length));
      // At most the two partial blocks at the ends, each through one 1 MiB read window.
      assertThat(ch.read)
          .as("bytes read for a range of 5 blocks")
          .isLessThanOrEqualTo(2L * HashingFileWriter.BUFFER + 2 * (1 << 20))
          .isLessThan(data.length / 2);
    }
  }

  private static int direct(byte[] data, int offset, int length) {
    CRC32 c = new CRC32();
    c.update(data, offset, length);
    return (int) c.getValue();
  }

  /** Counts the bytes read through it. */
  private static final class Counting implements SeekableByteChannel {
    private final SeekableByteChannel in;
    long read;

    Counting(SeekableByteChannel in) {
      this.in = in;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = in.read(dst);
      read += Math.max(0, n);
      return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return in.write(src);
    }

    @Override
    public long position() throws IOException {
      return in.position();
    }

    @Override
    public SeekableByteChannel position(long p) throws IOException {
      in.position(p);
      return this;
    }

    @Override
    public long size() throws IOException {
      return in.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
      in.truncate(size);
      return this;
    }

    @Override
    public boolean isOpen() {
      return in.isOpen();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
