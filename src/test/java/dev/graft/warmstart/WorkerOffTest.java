package dev.graft.warmstart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the tests that drive the queue and the executor themselves: the application without its
 * in-process worker ({@code graft.roles=api}), so nothing else claims their runs, on a database and
 * data folder of its own (one context, shared by every such test class).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
abstract class WorkerOffTest {

  private static final Path DATA_DIR;

  static {
    try {
      DATA_DIR = Files.createTempDirectory("graft-worker-off-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @org.springframework.beans.factory.annotation.Autowired
  protected org.springframework.jdbc.core.simple.JdbcClient jdbc;

  /** Every test starts with an empty queue, whatever ran before it in this shared context. */
  @org.junit.jupiter.api.BeforeEach
  void emptyQueue() {
    jdbc.sql("delete from warm_start_run").update();
  }

  @DynamicPropertySource
  static void workerOff(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", DATA_DIR::toString);
    registry.add("graft.roles", () -> "api");
  }
}
