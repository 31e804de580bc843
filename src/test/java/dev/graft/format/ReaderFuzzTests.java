package dev.graft.format;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.read.CheckpointReader;
import dev.graft.format.torchscript.TorchScriptReader;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of every reader entry point with Jazzer. The property: a reader given any
 * bytes returns an index or throws {@link FormatException} (or another {@link IOException}) within
 * its deadline; any other exception, an {@link Error} (a stack overflow, running out of memory) or
 * running past the deadline is a finding.
 *
 * <p>A plain test run replays only the seeds and earlier findings committed under {@code
 * src/test/resources/dev/graft/format/ReaderFuzzTestsInputs/<method>/} (regression mode). {@code
 * scripts/fuzz.sh SECONDS} fuzzes each method in turn ({@code JAZZER_FUZZ=1}); each finding it
 * writes there becomes a regression input.
 */
class ReaderFuzzTests {

  private static final ReadLimits LIMITS = ReadLimits.defaults();

  // Each target's dictionary holds tokens the mutator may splice in: zip signatures, the globals
  // and names a torch pickle uses, safetensors header words, numbers at the edges of what is
  // accepted. Entries are in libFuzzer's dictionary syntax (\xNN for a byte).

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @DictionaryEntries({
    "PK\\x03\\x04",
    "PK\\x01\\x02",
    "PK\\x05\\x06",
    "PK\\x06\\x06",
    "archive/data.pkl",
    "archive/data/",
    "archive/DATA.PKL",
    "ctorch._utils\\x0a_rebuild_tensor_v2\\x0a",
    "ctorch._utils\\x0a_rebuild_parameter\\x0a",
    "ccollections\\x0aOrderedDict\\x0a",
    "ctorch\\x0aFloatStorage\\x0a",
    "storage",
    "state_dict",
    "_metadata"
  })
  void torchCheckpoint(byte[] file) {
    refusedOrRead(
        () ->
            CheckpointReader.read(new BytesChannel(file), CheckpointFormat.PYTORCH, null, LIMITS));
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @DictionaryEntries({
    "\"dtype\"",
    "\"shape\"",
    "\"data_offsets\"",
    "\"__metadata__\"",
    "\"F32\"",
    "\"BF16\"",
    "\\u0000",
    "\\ud800",
    "-0",
    "1e999",
    "18446744073709551616",
    "9223372036854775807"
  })
  void safetensors(byte[] file) {
    refusedOrRead(
        () ->
            CheckpointReader.read(
                new BytesChannel(file), CheckpointFormat.SAFETENSORS, null, LIMITS));
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @DictionaryEntries({
    "PK\\x03\\x04",
    "PK\\x01\\x02",
    "PK\\x05\\x06",
    "archive/code/__torch__.py",
    "archive/constants.pkl",
    "c__torch__\\x0a",
    "class ",
    "(Module):",
    "  __parameters__ = [",
    "  __buffers__ = [",
    "ctorch.jit._pickle\\x0abuild_intlist\\x0a",
    "ctorch._utils\\x0a_rebuild_tensor_v2\\x0a"
  })
  void torchScript(byte[] file) {
    refusedOrRead(() -> TorchScriptReader.read(new BytesChannel(file), LIMITS));
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @DictionaryEntries({
    "ctorch._utils\\x0a_rebuild_tensor_v2\\x0a",
    "ctorch._utils\\x0a_rebuild_parameter\\x0a",
    "ccollections\\x0aOrderedDict\\x0a",
    "ctorch\\x0aFloatStorage\\x0a",
    "ctorch\\x0aSize\\x0a",
    "ctorch\\x0adevice\\x0a",
    "cposix\\x0asystem\\x0a",
    "storage",
    "cpu"
  })
  void restrictedUnpickler(byte[] pickle) {
    refusedOrRead(() -> new RestrictedUnpickler(LIMITS).load(pickle));
  }

  private interface Read {
    Object run() throws IOException;
  }

  private static void refusedOrRead(Read read) {
    try {
      read.run();
    } catch (IOException refused) {
      // FormatException (a refusal) or a read failure: what a reader may throw.
    }
  }
}
