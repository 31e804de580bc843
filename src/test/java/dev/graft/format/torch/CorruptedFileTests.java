package dev.graft.format.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.graft.format.Bytes;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.internal.ParseBudget;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.read.CheckpointReader;
import dev.graft.format.zip.TorchZip;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Flips, truncates and overwrites bytes of real torch files: whatever the damage, the reader must
 * either read the file or refuse it with a FormatException, never fail with another exception.
 */
class CorruptedFileTests {

  @ParameterizedTest
  @ValueSource(strings = {"dtypes.pt", "keep_vars.pt", "nested.pt", "views.pt"})
  void shouldRefuseCorruptionOnlyWithFormatException(String name) throws IOException {
    byte[] original;
    try (InputStream in = getClass().getResourceAsStream("/format/torch/" + name)) {
      original = in.readAllBytes();
    }
    Random random = new Random(name.hashCode());
    int refused = 0;
    int rounds = Integer.getInteger("graft.fuzzRounds", 300);
    for (int round = 0; round < rounds; round++) {
      byte[] bytes = mutate(original, random);
      try {
        CheckpointIndex index =
            CheckpointReader.read(Bytes.channel(bytes), null, null, ReadLimits.defaults());
        for (TensorInfo t : index.tensors()) {
          TensorData.readContiguous(Bytes.channel(bytes), t);
        }
      } catch (FormatException expected) {
        refused++;
      } catch (Exception | StackOverflowError e) {
        fail("round " + round + " of " + name + " threw " + e, e);
      }
    }
    assertThat(refused).isPositive();
  }

  @ParameterizedTest
  @ValueSource(strings = {"dtypes.pt", "nested.pt", "lightning.pt"})
  void shouldRefuseCorruptPicklesOnlyWithFormatException(String name) throws IOException {
    byte[] file;
    try (InputStream in = getClass().getResourceAsStream("/format/torch/" + name)) {
      file = in.readAllBytes();
    }
    TorchZip zip = TorchZip.open(Bytes.channel(file), ReadLimits.defaults());
    byte[] pickle =
        zip.readStored(Bytes.channel(file), zip.find("data.pkl").orElseThrow(), 1 << 20);
    Random random = new Random(name.hashCode() + 1);
    int rounds = Integer.getInteger("graft.fuzzRounds", 300);
    for (int round = 0; round < rounds; round++) {
      byte[] bytes = mutate(pickle, random);
      try {
        Object root = new RestrictedUnpickler(ReadLimits.defaults()).load(bytes);
        StateDictLocator.locate(root, null);
        ReadLimits limits = ReadLimits.defaults();
        new PlainData(limits, ParseBudget.start(limits)).admit("root", root);
      } catch (FormatException expected) {
        // refused: fine
      } catch (Exception | StackOverflowError e) {
        fail("round " + round + " of " + name + " data.pkl threw " + e, e);
      }
    }
  }

  private static byte[] mutate(byte[] original, Random random) {
    byte[] b = original.clone();
    switch (random.nextInt(4)) {
      case 0 -> {
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
          b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
      case 2 -> {
        int at = random.nextInt(b.length - 8);
        long v = random.nextBoolean() ? -1L : random.nextLong();
        for (int i = 0; i < 8; i++) {
          b[at + i] = (byte) (v >>> (8 * i));
        }
      }
      default -> {
        byte[] cut = new byte[random.nextInt(b.length)];
        System.arraycopy(b, 0, cut, 0, cut.length);
        return cut;
      }
    }
    return b;
  }
}
