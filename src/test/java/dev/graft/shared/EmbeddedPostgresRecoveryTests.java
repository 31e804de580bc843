package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Graft process killed outright leaves its embedded PostgreSQL running in the data folder. The
 * next start must stop that orphan and start cleanly, but must never stop the server of a process
 * that is still alive.
 */
class EmbeddedPostgresRecoveryTests {

  @TempDir Path data;

  @Test
  void shouldStopAnOrphanedServerAndStartCleanly() throws Exception {
    Path dir = data.resolve("postgres");
    File pgCtl = initialize(dir);
    long orphan = startOrphan(pgCtl, dir);
    assertThat(ProcessHandle.of(orphan)).isPresent();

    EmbeddedPostgresConfiguration.stopOrphanedServer(dir);

    assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    try (EmbeddedPostgres pg = start(dir);
        Connection c = pg.getPostgresDatabase().getConnection()) {
      assertThat(c.createStatement().executeQuery("select 1").next()).isTrue();
    }
  }

  @Test
  void shouldRefuseToStopTheServerOfALiveProcess() throws Exception {
    Path dir = data.resolve("postgres");
    File pgCtl = initialize(dir);
    long server = startOrphan(pgCtl, dir);
    // Another live process holds the folder's lock, as a running Graft does.
    Process owner =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import fcntl,sys,time\n"
                    + "f=open(sys.argv[1],'a')\n"
                    + "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                    + "print('locked', flush=True)\n"
                    + "time.sleep(60)",
                dir.resolve("epg-lock").toString())
            .start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(r.readLine()).isEqualTo("locked");
      assertThatThrownBy(() -> EmbeddedPostgresConfiguration.stopOrphanedServer(dir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another running Graft process");
      assertThat(ProcessHandle.of(server).map(ProcessHandle::isAlive).orElse(false)).isTrue();
    } finally {
      owner.destroyForcibly();
      owner.waitFor(10, TimeUnit.SECONDS);
      new ProcessBuilder(asUser(pgCtl.getPath(), "-D", dir.toString(), "-m", "immediate", "stop"))
          .redirectErrorStream(true)
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Creates the cluster with a clean start and stop, as a first run of Graft does. */
  private static File initialize(Path dir) throws Exception {
    Files.createDirectories(dir);
    try (EmbeddedPostgres pg = start(dir)) {
      var field = EmbeddedPostgres.class.getDeclaredField("pgDir");
      field.setAccessible(true);
      return new File((File) field.get(pg), "bin/pg_ctl");
    }
  }

  /** Starts the server detached from this JVM, as one whose Graft process died is left. */
  private static long startOrphan(File pgCtl, Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process p =
        new ProcessBuilder(
                asUser(
                    pgCtl.getPath(),
                    "-D",
                    dir.toString(),
                    "-o",
                    "-p " + port + " -c listen_addresses=localhost",
                    "-l",
                    dir.resolve("orphan.log").toString(),
                    "-w",
                    "start"))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).trim());
  }

  /** PostgreSQL refuses to run as root; as the embedded server does, run it in a user namespace. */
  private static java.util.List<String> asUser(String... command) {
    java.util.List<String> c = new java.util.ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      c.add("unshare");
      c.add("-U");
    }
    c.addAll(java.util.List.of(command));
    return c;
  }

  private static EmbeddedPostgres start(Path dir) throws Exception {
    return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).start();
  }
}
