package dev.graft.format.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.safetensors.Fixtures;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Reads every file that {@code scripts/make_fixtures.py} wrote and compares what the readers report
 * with what torch said about it in {@code expected.json}: format, state-dict path, metadata, keys
 * in order, dtypes, shapes, numel, requires_grad, module versions, byte order and the SHA-256 of
 * each tensor's row-major little-endian element bytes.
 *
 * <p>The committed fixtures are always checked. When the system property or environment variable
 * {@code GRAFT_FIXTURES_DIR} names a folder with an {@code expected.json} (CI writes a fresh random
 * round there with {@code make_fixtures.py DIR --random SEED --count N}), that folder is checked
 * too.
 */
class TorchConformanceTests {

  @TestFactory
  Stream<DynamicNode> everyFixtureReadsAsTorchWroteIt() throws Exception {
    List<DynamicNode> folders = new ArrayList<>();
    folders.add(folder("committed", Fixtures.conformance()));
    String extra = System.getProperty("GRAFT_FIXTURES_DIR", System.getenv("GRAFT_FIXTURES_DIR"));
    if (extra != null && !extra.isBlank()) {
      Path dir = Path.of(extra);
      assertThat(dir.resolve("expected.json"))
          .as("GRAFT_FIXTURES_DIR/expected.json")
          .isRegularFile();
      folders.add(folder(dir.toString(), dir));
    }
    return folders.stream();
  }

  @SuppressWarnings("unchecked")
  private static DynamicContainer folder(String label, Path dir) throws Exception {
    Map<String, Object> doc = (Map<String, Object>) Fixtures.json(dir.resolve("expected.json"));
    List<DynamicTest> tests = new ArrayList<>();
    for (Object e : (List<Object>) doc.get("files")) {
      Map<String, Object> entry = (Map<String, Object>) e;
      String file = (String) entry.get("file");
      tests.add(DynamicTest.dynamicTest(file, dir.resolve(file).toUri(), () -> check(dir, entry)));
    }
    return DynamicContainer.dynamicContainer(label, tests.stream());
  }

  @SuppressWarnings("unchecked")
  private static void check(Path dir, Map<String, Object> expected) throws Exception {
    String file = (String) expected.get("file");
    try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.READ)) {
      CheckpointIndex index = CheckpointReader.read(ch, null, null, ReadLimits.defaults());

      assertThat(index.format().wireName()).as("format").isEqualTo(expected.get("format"));
      assertThat(index.stateDictPath())
          .as("stateDictPath")
          .isEqualTo(expected.get("stateDictPath"));

      Map<String, Object> metadata = (Map<String, Object>) expected.get("metadata");
      for (Map.Entry<String, Object> m : metadata.entrySet()) {
        assertThat(index.metadata()).as("metadata").containsKey(m.getKey());
        assertPlainEqual("metadata." + m.getKey(), m.getValue(), index.metadata().get(m.getKey()));
      }

      Map<String, Long> versions = new LinkedHashMap<>();
      ((Map<String, Object>) expected.get("moduleVersions"))
          .forEach((k, v) -> versions.put(k, ((Number) v).longValue()));
      assertThat(index.moduleVersions()).as("moduleVersions").isEqualTo(versions);

      List<Map<String, Object>> tensors = (List<Map<String, Object>>) expected.get("tensors");
      assertThat(index.tensors())
          .extracting(TensorInfo::key)
          .as("keys in state-dict order")
          .containsExactlyElementsOf(tensors.stream().map(t -> (String) t.get("key")).toList());

      String byteOrder = (String) expected.getOrDefault("byteOrder", "little");
      for (int i = 0; i < tensors.size(); i++) {
        Map<String, Object> want = tensors.get(i);
        TensorInfo got = index.tensors().get(i);
        String key = got.key();
        assertThat(got.dtype().torchName()).as("dtype of %s", key).isEqualTo(want.get("dtype"));
        assertThat(got.shape()).as("shape of %s", key).isEqualTo(want.get("shape"));
        assertThat(got.numel()).as("numel of %s", key).isEqualTo(want.get("numel"));
        assertThat(got.requiresGrad())
            .as("requiresGrad of %s", key)
            .isEqualTo(want.get("requiresGrad"));
        if (want.get("requiresGrad") != null) {
          assertThat(got.parameter()).as("parameter flag of %s", key).isTrue();
        }
        assertThat(got.byteOrder().toString().toLowerCase())
            .as("byte order of %s", key)
            .isEqualTo(byteOrder + "_endian");
        byte[] bytes = TensorData.readContiguous(ch, got);
        assertThat(bytes.length).as("byte count of %s", key).isEqualTo(got.sizeBytes());
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))
            .as("sha256 of %s's elements", key)
            .isEqualTo(want.get("sha256"));
      }
    }
  }

  /**
   * Compares plain data from expected.json with what a reader reported: numbers by value (integers
   * exactly, others as doubles), lists element by element (a reader may give tuples as lists), maps
   * key by key.
   */
  private static void assertPlainEqual(String where, Object want, Object got) {
    if (want == null) {
      assertThat(got).as(where).isNull();
    } else if (want instanceof Long || want instanceof BigInteger) {
      assertThat(got).as(where).isInstanceOf(Number.class);
      assertThat(toBigInteger((Number) got)).as(where).isEqualTo(toBigInteger((Number) want));
    } else if (want instanceof BigDecimal d) {
      assertThat(got).as(where).isInstanceOf(Number.class);
      assertThat(((Number) got).doubleValue()).as(where).isEqualTo(d.doubleValue());
    } else if (want instanceof List<?> wl) {
      List<?> gl = got instanceof Object[] arr ? List.of(arr) : (List<?>) got;
      assertThat(gl).as(where).hasSize(wl.size());
      for (int i = 0; i < wl.size(); i++) {
        assertPlainEqual(where + "[" + i + "]", wl.get(i), gl.get(i));
      }
    } else if (want instanceof Map<?, ?> wm) {
      assertThat(got).as(where).isInstanceOf(Map.class);
      Map<?, ?> gm = (Map<?, ?>) got;
      assertThat(new java.util.HashSet<Object>(gm.keySet()))
          .as(where + " keys")
          .isEqualTo(new java.util.HashSet<Object>(wm.keySet()));
      for (Map.Entry<?, ?> e : wm.entrySet()) {
        assertPlainEqual(where + "." + e.getKey(), e.getValue(), gm.get(e.getKey()));
      }
    } else {
      assertThat(got).as(where).isEqualTo(want);
    }
  }

  private static BigInteger toBigInteger(Number n) {
    if (n instanceof BigInteger b) {
      return b;
    }
    if (n instanceof Double || n instanceof Float || n instanceof BigDecimal) {
      return new BigDecimal(n.toString()).toBigIntegerExact();
    }
    return BigInteger.valueOf(n.longValue());
  }
}
