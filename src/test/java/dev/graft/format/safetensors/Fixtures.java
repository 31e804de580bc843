package dev.graft.format.safetensors;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The committed files real PyTorch wrote, and the JSON manifests that describe test inputs; it
 * lives beside the package-private {@link StrictJson} it reads manifests with.
 */
public final class Fixtures {

  private Fixtures() {}

  /** The folder {@code scripts/make_fixtures.py} wrote, with its {@code expected.json}. */
  public static Path conformance() throws URISyntaxException {
    return Path.of(Fixtures.class.getResource("/fixtures/conformance/expected.json").toURI())
        .getParent();
  }

  /**
   * A JSON manifest read as strictly as a safetensors header: objects as ordered maps, integers as
   * {@link Long} or {@link java.math.BigInteger}, other numbers as {@link java.math.BigDecimal}.
   */
  public static Object json(Path file) throws Exception {
    return StrictJson.parse(Files.readAllBytes(file));
  }
}
