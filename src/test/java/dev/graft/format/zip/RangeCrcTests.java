package dev.graft.format.zip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.Bytes;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.Hostile;
import dev.graft.format.ReadLimits;
import dev.graft.format.read.CheckpointReader;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class RangeCrcTests {

  private static int crc(byte[] b, int from, int to) {
    CRC32 c = new CRC32();
    c.update(b, from, to - from);
    return (int) c.getValue();
  }

  @Test
  void shouldCombineTheCrcsOfTwoPartsIntoTheCrcOfBothOverRandomSplits() {
    Random random = new Random(8);
    for (int round = 0; round < 2000; round++) {
      byte[] b = new byte[random.nextInt(round < 1000 ? 64 : 100_000)];
      random.nextBytes(b);
      int split = b.length == 0 ? 0 : random.nextInt(b.length + 1);
      int combined = RangeCrc.combine(crc(b, 0, split), crc(b, split, b.length), b.length - split);
      assertThat(combined)
          .as("round %d, %d + %d bytes", round, split, b.length - split)
          .isEqualTo(crc(b, 0, b.length));
    }
  }

  @Test
  void shouldCombineOverLengthsOfManyGigabytesWithoutReadingThem() {
    // crc(A || zeros(n)) two ways: combining with the CRC of n zero bytes, and by the definition
    // for n small enough to compute.
    byte[] a = {1, 2, 3};
    for (long n : new long[] {1, 7, 4096, 1_000_003}) {
      byte[] zeros = new byte[(int) n];
      byte[] both = Bytes.concat(a, zeros);
      assertThat(RangeCrc.combine(crc(a, 0, 3), crc(zeros, 0, zeros.length), n))
          .isEqualTo(crc(both, 0, both.length));
    }
    // Past 2^32 bytes: crc(A || B || C) combined either way round agrees, for any CRC values.
    Random random = new Random(3);
    for (int i = 0; i < 100; i++) {
      int x = random.nextInt();
      int y = random.nextInt();
      int z = random.nextInt();
      long n1 = random.nextLong() >>> 2;
      long n2 = random.nextLong() >>> 2;
      assertThat(RangeCrc.combine(RangeCrc.combine(x, y, n1), z, n2))
          .isEqualTo(RangeCrc.combine(x, RangeCrc.combine(y, z, n2), n1 + n2));
    }
  }

  @Test
  void shouldReadACheckpointWithRangeCrcsAnsweredFromBlockCrcs() throws IOException {
    byte[] file;
    try (InputStream in = getClass().getResourceAsStream("/format/torch/nested.pt")) {
      file = in.readAllBytes();
    }
    // As a store would: the CRC of each 100-byte block, computed while receiving the upload.
    int block = 100;
    List<Integer> blocks = new ArrayList<>();
    for (int at = 0; at < file.length; at += block) {
      blocks.add(crc(file, at, Math.min(file.length, at + block)));
    }
    int[] asked = {0};
    RangeCrc fromBlocks =
        (offset, length) -> {
          asked[0]++;
          long end = offset + length;
          int result = 0;
          long at = offset;
          while (at < end) {
            long blockStart = at - at % block;
            long blockEnd = Math.min(blockStart + block, file.length);
            long to = Math.min(end, blockEnd);
            int part =
                at == blockStart && to == blockEnd
                    ? blocks.get((int) (at / block))
                    : crc(file, (int) at, (int) to); // partial block: read just those bytes
            result = RangeCrc.combine(result, part, to - at);
            at = to;
          }
          return result;
        };

    CheckpointIndex index =
        CheckpointReader.read(Bytes.channel(file), null, null, ReadLimits.defaults(), fromBlocks);

    assertThat(index.tensors()).isNotEmpty();
    assertThat(asked[0]).isEqualTo(26); // every record of the archive

    RangeCrc lying = (offset, length) -> fromBlocks.crc32(offset, length) ^ 1;
    Hostile.refused(
            () ->
                CheckpointReader.read(
                    Bytes.channel(file), null, null, ReadLimits.defaults(), lying),
            FormatException.Kind.MALFORMED)
        .hasMessageContaining("has CRC-32");
  }

  @Test
  void shouldLeaveTheStoredRecordsCrcCheckOutOfTheDeadline() throws IOException {
    // A large file's CRC pass is linear in its size and may outlast the deadline; it is not
    // refused.
    byte[] file;
    try (InputStream in = getClass().getResourceAsStream("/format/torch/nested.pt")) {
      file = in.readAllBytes();
    }
    RangeCrc slow =
        (offset, length) -> {
          try {
            Thread.sleep(40); // 26 records: about a second
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return crc(file, (int) offset, (int) (offset + length));
        };
    ReadLimits halfSecond = ReadLimits.defaults().withBudget(ReadLimits.DEFAULT_MAX_WORK, 500);

    CheckpointIndex index =
        CheckpointReader.read(Bytes.channel(file), null, null, halfSecond, slow);

    assertThat(index.tensors()).isNotEmpty();
  }
}
