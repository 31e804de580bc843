package dev.graft;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * What tests outside {@code format} share: SHA-256 in hex, whether torch is available, and run rows
 * put straight into the queue.
 */
public final class TestSupport {

  private static final String PYTHON = "/usr/bin/python3";

  private static volatile Boolean torch;

  private TestSupport() {}

  /** Lower-case hex SHA-256 of some bytes: what Graft uses as blob names and ETags. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Lower-case hex SHA-256 of a file's bytes. */
  public static String sha256(Path file) {
    try {
      return sha256(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether {@code /usr/bin/python3} imports torch; asked once per test JVM (the import takes
   * seconds).
   */
  public static boolean torchAvailable() {
    Boolean known = torch;
    if (known == null) {
      synchronized (TestSupport.class) {
        if (torch == null) {
          torch = importsTorch();
        }
        known = torch;
      }
    }
    return known;
  }

  /** Skips the calling test, saying why, when torch is not available. */
  public static void assumeTorch() {
    assumeTrue(
        torchAvailable(),
        "needs " + PYTHON + " with torch (apt-get install python3-torch); CI installs it");
  }

  /**
   * What torch loads from a state dict file, a safetensors file or a Hugging Face shard index, as
   * {@code scripts/load_state_dict.py} prints it: {@code keys} in load order, and per key {@code
   * sha256} of its bytes, {@code dtype} and {@code shape}. Call {@link #assumeTorch} first.
   *
   * @throws AssertionError when torch refuses the file (with its output)
   */
  public static String torchLoad(Path file) throws IOException, InterruptedException {
    Path script = Path.of("scripts/load_state_dict.py").toAbsolutePath();
    Path errors = Files.createTempFile("torch-load-", ".err");
    try {
      Process p =
          new ProcessBuilder(PYTHON, script.toString(), file.toString())
              .redirectError(errors.toFile())
              .start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("torch took over two minutes to load " + file);
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(
            "torch could not load " + file + ": " + Files.readString(errors) + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(errors);
    }
  }

  private static boolean importsTorch() {
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import torch").start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * A run row as submission leaves it ({@code QUEUED}, never attempted), for tests that drive the
   * queue, the worker or the executor themselves. It is inserted with SQL, as the row the API would
   * have written, so tests need none of the feature's package-private types.
   *
   * @param id the run's id
   * @param checkpointId the checkpoint it loads (the table has no foreign key: any id will do for a
   *     run that is never executed)
   * @param architectureId the architecture it loads into
   * @param options the load options as JSON
   * @param output the output section as JSON
   * @param maxAttempts how many claims it may take
   */
  public record QueuedRun(
      UUID id,
      UUID checkpointId,
      UUID architectureId,
      String options,
      String output,
      int maxAttempts) {

    /**
     * A run with PyTorch's default options, one attempt, and a pytorch artifact to a fresh model.
     */
    public static QueuedRun of(UUID checkpointId, UUID architectureId) {
      UUID id = UUID.randomUUID();
      return new QueuedRun(
          id,
          checkpointId,
          architectureId,
          "{}",
          "{\"model\":\"run-" + id + "\",\"formats\":[\"pytorch\"],\"tags\":{},\"aliases\":[]}",
          1);
    }

    /** A run of a checkpoint and an architecture that do not exist, for the queue's own rules. */
    public static QueuedRun ofNothing() {
      return of(UUID.randomUUID(), UUID.randomUUID());
    }

    /** This run with other load options. */
    public QueuedRun withOptions(String json) {
      return new QueuedRun(id, checkpointId, architectureId, json, output, maxAttempts);
    }

    /** This run with another output section. */
    public QueuedRun withOutput(String json) {
      return new QueuedRun(id, checkpointId, architectureId, options, json, maxAttempts);
    }

    /** This run with another number of attempts. */
    public QueuedRun withMaxAttempts(int n) {
      return new QueuedRun(id, checkpointId, architectureId, options, output, n);
    }

    /** Puts the run into the queue; returns its id. */
    public UUID insert(JdbcClient jdbc) {
      jdbc.sql(
              "insert into warm_start_run (id, status, checkpoint_id, architecture_id, options,"
                  + " output, max_attempts, created_at) values (?, 'QUEUED', ?, ?, ?, ?, ?, ?)")
          .params(
              id,
              checkpointId,
              architectureId,
              options,
              output,
              maxAttempts,
              Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MICROS)))
          .update();
      return id;
    }
  }
}
