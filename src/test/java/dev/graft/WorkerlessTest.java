package dev.graft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the HTTP tests that decide themselves when things happen: the application serves the API
 * but runs no worker ({@code graft.roles=api}), so a queued run stays queued, on a database and
 * data folder of its own (one context, shared by every such test class). Its {@code DataSource}
 * counts statements for {@link SqlStatements#count}, and {@link HeldDeletions} can hold a deletion
 * at its veto check.
 */
@Import({SqlStatements.class, HeldDeletions.class})
public abstract class WorkerlessTest extends HttpTest {

  private static final Path DATA_DIR;

  static {
    try {
      DATA_DIR = Files.createTempDirectory("graft-workerless-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void workerless(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", DATA_DIR::toString);
    registry.add("graft.roles", () -> "api");
  }
}
