package dev.graft;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real PostgreSQL for a fault test to stop and start under a running application: the embedded
 * server on a fixed loopback port and data folder, so a stop ({@code pg_ctl stop -m fast}, which
 * ends every session) and a start again on the same port and data are, to the application's
 * connection pool, the database going away and coming back.
 */
public final class RestartablePostgres {

  private final Path dir;
  private final int port;
  private volatile EmbeddedPostgres server;

  private RestartablePostgres(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Starts a server on a free port with its data in a new temporary folder. */
  public static RestartablePostgres start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    RestartablePostgres pg =
        new RestartablePostgres(Files.createTempDirectory("graft-fault-pg-"), port);
    pg.startAgain();
    Runtime.getRuntime().addShutdownHook(new Thread(pg::stopQuietly));
    return pg;
  }

  /** The JDBC URL the application is given. */
  public String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + port + "/postgres";
  }

  /** Stops the server the way an operator or a crash-restart does: fast shutdown, sessions cut. */
  public synchronized void stop() throws IOException {
    if (server != null) {
      server.close(); // pg_ctl stop -m fast, keeping the data folder
      server = null;
    }
  }

  /** Starts the server again on the same port over the same data. */
  public synchronized void startAgain() throws IOException {
    if (server == null) {
      server =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setServerConfig("max_connections", "100")
              .start();
    }
  }

  /** Whether the server is running. */
  public boolean running() {
    return server != null;
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (IOException ignored) {
      // exiting anyway
    }
  }
}
