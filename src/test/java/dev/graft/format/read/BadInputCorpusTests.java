package dev.graft.format.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.safetensors.Fixtures;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Feeds every file of the bad-input corpus ({@code scripts/make_bad_inputs.py}, committed under
 * {@code src/test/resources/bad-inputs/}) to {@link CheckpointReader#read} and checks that it is
 * refused with the manifest's kind and a message containing the manifest's detail, and that no
 * payload ever ran (the payloads would create {@code /tmp/graft-pwned*}).
 */
class BadInputCorpusTests {

  private static final Path MARKER_DIR = Path.of("/tmp");

  @TestFactory
  @SuppressWarnings("unchecked")
  Stream<DynamicTest> everyBadInputIsRefusedWithItsKindAndDetail() throws Exception {
    Path dir =
        Path.of(BadInputCorpusTests.class.getResource("/bad-inputs/manifest.json").toURI())
            .getParent();
    Map<String, Object> doc = (Map<String, Object>) Fixtures.json(dir.resolve("manifest.json"));
    List<DynamicTest> tests = new ArrayList<>();
    for (Object o : (List<Object>) doc.get("files")) {
      Map<String, Object> e = (Map<String, Object>) o;
      String file = (String) e.get("file");
      FormatException.Kind kind = FormatException.Kind.valueOf((String) e.get("kind"));
      String detail = (String) e.get("detail");
      tests.add(
          DynamicTest.dynamicTest(
              e.get("category") + ": " + file,
              dir.resolve(file).toUri(),
              () -> {
                try (FileChannel ch =
                    FileChannel.open(dir.resolve(file), StandardOpenOption.READ)) {
                  assertThatThrownBy(
                          () -> CheckpointReader.read(ch, null, null, ReadLimits.defaults()))
                      .isInstanceOfSatisfying(
                          FormatException.class,
                          ex -> {
                            assertThat(ex.kind()).as("kind").isEqualTo(kind);
                            assertThat(ex.getMessage().toLowerCase(Locale.ROOT)).contains(detail);
                          });
                }
                assertNoMarker();
              }));
    }
    return tests.stream();
  }

  private static void assertNoMarker() throws Exception {
    try (Stream<Path> s = Files.list(MARKER_DIR)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("graft-pwned")))
          .as("a payload ran")
          .isEmpty();
    }
  }
}
