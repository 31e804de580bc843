package dev.graft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the end-to-end tests on the default setup: the embedded real PostgreSQL and the
 * filesystem blob store in one data folder shared by the test JVM, so the Spring context, and the
 * database, are started once.
 */
public abstract class IntegrationTest extends HttpTest {

  protected static final Path DATA_DIR;

  static {
    try {
      DATA_DIR = Files.createTempDirectory("graft-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void dataDir(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", DATA_DIR::toString);
  }
}
