package dev.graft.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staged files of a process that died are removed as soon as another process opens or sweeps the
 * folder; those of a live process, another OS process holding its owner lock, are kept.
 */
class StagingAreaTests {

  @TempDir Path root;
  Path dir;

  @org.junit.jupiter.api.BeforeEach
  void staging() {
    dir = root.resolve("tmp");
  }

  @Test
  void shouldRemoveTheFilesOfADeadProcessAtOnceAndKeepALiveOnes() throws Exception {
    Path owners = dir.resolveSibling(dir.getFileName() + "-owners");
    Files.createDirectories(owners);
    Files.createDirectories(dir);
    // A process that died mid-upload: its owner file is there, nobody holds its lock.
    Files.writeString(owners.resolve("dead.owner"), "");
    Files.writeString(dir.resolve("dead.1234.part"), "half an upload");
    // A live process in another OS process, holding its owner lock (fcntl, as the JVM's locks).
    Files.writeString(owners.resolve("alive.owner"), "");
    Files.writeString(dir.resolve("alive.5678.part"), "an upload in progress");
    Process holder =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import fcntl,sys,time\n"
                    + "f=open(sys.argv[1],'r+')\n"
                    + "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                    + "print('locked', flush=True)\n"
                    + "time.sleep(60)",
                owners.resolve("alive.owner").toString())
            .start();
    try {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
        assertThat(r.readLine()).isEqualTo("locked");
        // An old unowned file (named as before instances were) is removed; a fresh one is kept.
        Files.writeString(dir.resolve("old.part"), "x");
        Files.setLastModifiedTime(
            dir.resolve("old.part"), FileTime.from(Instant.now().minusSeconds(2 * 86_400)));
        Files.writeString(dir.resolve("fresh.part"), "x");

        try (StagingArea area = new StagingArea(dir)) {
          assertThat(dir.resolve("dead.1234.part")).doesNotExist();
          assertThat(owners.resolve("dead.owner")).doesNotExist();
          assertThat(dir.resolve("old.part")).doesNotExist();
          assertThat(dir.resolve("alive.5678.part")).exists();
          assertThat(dir.resolve("fresh.part")).exists();

          holder.destroy();
          assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
          assertThat(area.sweep()).isEqualTo(1);
          assertThat(dir.resolve("alive.5678.part")).doesNotExist();
          assertThat(area.newFile().getParent()).isEqualTo(dir);
        }
      }
    } finally {
      holder.destroyForcibly();
    }
  }
}
