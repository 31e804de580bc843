package dev.graft.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.TestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graft's Python client ({@code clients/python}) against this running server, with Debian's {@code
 * /usr/bin/python3} and its torch: the README flow streamed both ways, {@code describe} against an
 * uploaded state dict on a CNN with BatchNorm and a Transformer encoder, and {@code warm_start}'s
 * reuse of a stored checkpoint. Skips, saying why, where that Python has no torch ({@code .ci/run}
 * installs it).
 */
class PythonClientFlowTests extends IntegrationTest {

  @TempDir Path dir;

  @Test
  void shouldPassThePythonClientsFlowTestsAgainstARealGraft() throws Exception {
    TestSupport.assumeTorch();
    Path log = dir.resolve("python.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-m",
                "unittest",
                "discover",
                "-v",
                "-s",
                "clients/python/tests")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("GRAFT_URL", "http://localhost:" + port);
    pb.environment().put("GRAFT_TOKEN", ADMIN_TOKEN);
    Process python = pb.start();
    boolean ended = python.waitFor(10, TimeUnit.MINUTES);
    if (!ended) {
      python.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(ended).as("the Python tests ended in time:\n" + output).isTrue();
    assertThat(python.exitValue()).as(output).isZero();
    // unittest exits 0 when every test was skipped: they must have run.
    assertThat(output).contains("Ran 4 tests").doesNotContain("skipped");
  }
}
