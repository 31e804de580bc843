package dev.graft.format.torch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.Bytes;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.Hostile;
import dev.graft.format.PickleBuilder;
import dev.graft.format.ReadLimits;
import dev.graft.format.ZipBuilder;
import dev.graft.format.read.CheckpointReader;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The plain data beside a nested state dict becomes the checkpoint's metadata: shared and
 * self-referencing values are measured as the DAG they are, and entries past the budget, or that
 * PostgreSQL or a JSON reader would refuse, are left out rather than exploding.
 */
class CheckpointMetadataTests {

  /** {@code {'state_dict': {'w': tensor}, <entries>...}}: the test adds entries before STOP. */
  private static PickleBuilder checkpoint() {
    PickleBuilder b = PickleBuilder.proto2().emptyDict().str("state_dict").orderedDict();
    b.str("w").tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).setitem();
    return b.setitem();
  }

  private static byte[] zip(PickleBuilder pickle) {
    return new ZipBuilder()
        .add("archive/data.pkl", pickle.build())
        .add("archive/data/0", new byte[4])
        .add("archive/version", "3\n")
        .build();
  }

  private static Map<String, Object> metadata(byte[] file, ReadLimits limits) throws IOException {
    CheckpointIndex index = CheckpointReader.read(Bytes.channel(file), null, null, limits);
    assertThat(index.stateDictPath()).isEqualTo("state_dict");
    return index.metadata();
  }

  @Test
  void shouldLeaveOutAListSharedExponentiallyManyTimes() throws IOException {
    // l0 = [1], l(k) = [l(k-1), l(k-1)]: about 1 KB that renders as 2^60 copies of [1].
    PickleBuilder b = checkpoint().str("bomb").emptyList().integer(1).op('a').put(0);
    for (int k = 1; k <= 60; k++) {
      b.op('0').emptyList().get(k - 1).op('a').get(k - 1).op('a').put(k);
    }
    b.setitem().str("epoch").integer(3).setitem().stop();
    byte[] file = zip(b);

    Map<String, Object> metadata = Hostile.finishes(() -> metadata(file, ReadLimits.defaults()));

    assertThat(metadata).containsExactly(Map.entry("epoch", 3L));
  }

  @Test
  void shouldLeaveOutAListHoldingItself() throws IOException {
    PickleBuilder b = checkpoint().str("loop").emptyList().put(0);
    for (int i = 0; i < 50; i++) {
      b.get(0).op('a');
    }
    b.setitem().str("epoch").integer(3).setitem().stop();
    byte[] file = zip(b);

    Map<String, Object> metadata = Hostile.finishes(() -> metadata(file, ReadLimits.defaults()));

    assertThat(metadata).containsExactly(Map.entry("epoch", 3L));
  }

  @Test
  void shouldLeaveOutAMemoAmplifiedStringPastTheBudget() throws IOException {
    // One 100 KB string referenced 1,000 times renders as 100 MB.
    PickleBuilder b = checkpoint().str("big").emptyList().mark().str("x".repeat(100_000)).put(0);
    for (int i = 1; i < 1000; i++) {
      b.get(0);
    }
    b.op('e').setitem().str("epoch").integer(3).setitem().stop();
    byte[] file = zip(b);

    Map<String, Object> metadata = Hostile.finishes(() -> metadata(file, ReadLimits.defaults()));

    assertThat(metadata).containsExactly(Map.entry("epoch", 3L));
  }

  @Test
  void shouldKeepEntriesInOrderWhileTheyFitTheBudget() throws IOException {
    PickleBuilder b = checkpoint();
    b.str("a").str("x".repeat(600)).setitem();
    b.str("b").str("y".repeat(600)).setitem();
    b.str("c").integer(7).setitem().stop();
    byte[] file = zip(b);

    Map<String, Object> metadata =
        metadata(file, ReadLimits.defaults().withMetadataBudget(1000, 10));

    assertThat(metadata.keySet()).containsExactly("a", "c");
  }

  @Test
  void shouldCountSharedValuesOnceForEachPlaceTheyAppearIn() throws IOException {
    // [s, s, s] with a shared list of 3 ints: 1 + 3 * 4 values as rendered.
    PickleBuilder b = checkpoint().str("shared").emptyList().mark();
    b.emptyList().mark().integer(1).integer(2).integer(3).op('e').put(0).get(0).get(0).op('e');
    b.setitem().stop();
    byte[] file = zip(b);

    assertThat(metadata(file, ReadLimits.defaults().withMetadataBudget(1000, 12))).isEmpty();
    Map<String, Object> kept = metadata(file, ReadLimits.defaults().withMetadataBudget(1000, 14));
    assertThat(kept.get("shared").toString()).isEqualTo("[[1, 2, 3], [1, 2, 3], [1, 2, 3]]");
  }

  @Test
  void shouldLeaveOutNulStringsAndIntegersJsonReadersRefuse() throws IOException {
    PickleBuilder b = checkpoint();
    b.str("nul").str("a\0b").setitem();
    b.str("k\0").integer(1).setitem();
    b.str("nested").emptyDict().str("deep\0key").integer(1).setitem().setitem();
    byte[] wide = new byte[400];
    wide[399] = 0x40; // 3,199 bits, 963 digits
    b.str("huge").op(0x8b).raw(PickleBuilder.le32(400)).raw(wide).setitem();
    b.str("ok").str("fine").setitem().stop();
    byte[] file = zip(b);
    ReadLimits wideInts =
        new ReadLimits(
            200_000,
            256L << 20,
            50_000_000L,
            1_000_000,
            1_000_000,
            100,
            16 << 20,
            200_000,
            16,
            1024,
            100_000_000L,
            1L << 40,
            ReadLimits.DEFAULT_MAX_WORK,
            ReadLimits.DEFAULT_MAX_PARSE_MILLIS,
            1000,
            4096,
            1L << 20,
            100_000,
            16L << 20,
            64L << 20,
            256L << 20);

    assertThat(metadata(file, wideInts)).containsExactly(Map.entry("ok", "fine"));
  }
}
