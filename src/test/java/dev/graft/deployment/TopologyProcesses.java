package dev.graft.deployment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The processes of the production topology, started on this machine as the deployment starts them:
 * Debian's PostgreSQL, S3Proxy's standalone jar, and Graft from the packaged jar extracted and
 * launched as the {@code Dockerfile} says.
 */
final class TopologyProcesses {

  private TopologyProcesses() {}

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** A started OS process with its output in a log file. */
  static class Proc implements AutoCloseable {
    final String name;
    final Process process;
    final Path log;

    Proc(String name, Process process, Path log) {
      this.name = name;
      this.process = process;
      this.log = log;
    }

    static Proc start(
        String name, List<String> command, Map<String, String> env, Path dir, Path log)
        throws IOException {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
      if (env != null) {
        pb.environment().clear();
        pb.environment().putAll(env);
      }
      pb.redirectErrorStream(true);
      pb.redirectOutput(log.toFile());
      return new Proc(name, pb.start(), log);
    }

    String output() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    String tail() {
      String out = output();
      return "---- last lines of "
          + name
          + " ("
          + log
          + ") ----\n"
          + out.substring(Math.max(0, out.length() - 6000));
    }

    /** SIGTERM to the process itself, as {@code docker stop} and the kubelet send it. */
    void terminate() {
      process.destroy();
    }

    /** SIGKILL. */
    void kill() {
      process.destroyForcibly();
    }

    boolean waitFor(Duration d) throws InterruptedException {
      return process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Debian's PostgreSQL server, run as the postgres user when the tests run as root. */
  static final class Postgres implements AutoCloseable {
    final int port;
    final String database;
    final String user;
    final String password;
    private final Proc server;

    private Postgres(int port, String database, String user, String password, Proc server) {
      this.port = port;
      this.database = database;
      this.user = user;
      this.password = password;
      this.server = server;
    }

    /** The newest installed server's bin folder, e.g. /usr/lib/postgresql/15/bin. */
    static Optional<Path> binaries() {
      Path root = Path.of("/usr/lib/postgresql");
      if (!Files.isDirectory(root)) {
        return Optional.empty();
      }
      try (Stream<Path> versions = Files.list(root)) {
        return versions
            .map(v -> v.resolve("bin"))
            .filter(b -> Files.isExecutable(b.resolve("initdb")))
            .filter(b -> Files.isExecutable(b.resolve("postgres")))
            .max(
                Comparator.comparing(
                    b ->
                        Integer.parseInt(
                            b.getParent().getFileName().toString().replaceAll("\\D", "0"))));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    static Postgres start(Path bin, Path dir, String database, String user, String password)
        throws Exception {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path data = dir.resolve("data");
      Path pw = dir.resolve("pwfile");
      Files.writeString(pw, password + "\n");
      if (isRoot()) {
        UserPrincipal postgres =
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.setOwner(dir, postgres);
        Files.setOwner(pw, postgres);
      }
      Proc init =
          Proc.start(
              "initdb",
              asPostgres(
                  bin.resolve("initdb").toString(),
                  "-D",
                  data.toString(),
                  "-U",
                  user,
                  "--pwfile=" + pw,
                  "--auth-local=trust",
                  "--auth-host=scram-sha-256",
                  "-E",
                  "UTF8",
                  "--locale=C"),
              null,
              dir,
              dir.resolve("initdb.log"));
      if (!init.waitFor(Duration.ofSeconds(120)) || init.process.exitValue() != 0) {
        throw new IllegalStateException("initdb failed\n" + init.tail());
      }
      int port = freePort();
      Proc server =
          Proc.start(
              "postgres",
              asPostgres(
                  bin.resolve("postgres").toString(),
                  "-D",
                  data.toString(),
                  "-p",
                  Integer.toString(port),
                  "-k",
                  dir.toString(),
                  "-c",
                  "listen_addresses=127.0.0.1",
                  "-c",
                  "max_connections=200"),
              null,
              dir,
              dir.resolve("postgres.log"));
      Postgres pg = new Postgres(port, database, user, password, server);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        try (Connection c = pg.connect("postgres")) {
          c.createStatement().execute("create database " + database);
          return pg;
        } catch (SQLException notYet) {
          if (!server.process.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("PostgreSQL did not start\n" + server.tail(), notYet);
          }
          Thread.sleep(200);
        }
      }
    }

    String jdbcUrl(String db) {
      return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
    }

    Connection connect() throws SQLException {
      return connect(database);
    }

    Connection connect(String db) throws SQLException {
      return DriverManager.getConnection(jdbcUrl(db), user, password);
    }

    private static List<String> asPostgres(String... command) {
      List<String> c = new ArrayList<>();
      if (isRoot()) {
        c.addAll(List.of("runuser", "-u", "postgres", "--"));
      }
      c.addAll(List.of(command));
      return c;
    }

    @Override
    public void close() throws Exception {
      // SIGINT is PostgreSQL's fast shutdown; runuser passes it on.
      for (ProcessHandle p : server.process.descendants().toList()) {
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      }
      server.close();
    }
  }

  /** A Graft process started from the extracted image layout. */
  static final class Graft extends Proc {
    final int port;

    private Graft(String name, Process process, Path log, int port) {
      super(name, process, log);
      this.port = port;
    }

    static Graft start(
        String name, List<String> command, Map<String, String> env, Path app, Path log, int port)
        throws IOException {
      Proc p = Proc.start(name, command, env, app, log);
      return new Graft(name, p.process, log, port);
    }

    URI uri(String path) {
      return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Waits until the readiness group answers 200. */
    void awaitReady(HttpClient http, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              name + " exited with " + process.exitValue() + "\n" + tail());
        }
        try {
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(uri("/actuator/health/readiness"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + " not ready after " + timeout + "\n" + tail());
        }
        Thread.sleep(250);
      }
    }

    /** The worker's lease owner, from its start-up log line. */
    Optional<String> workerOwner() {
      Matcher m = Pattern.compile("worker (\\S+) started with").matcher(output());
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
  }
}
