package dev.graft.shared;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/**
 * The embedded default: when no {@code spring.datasource.url} is set, Graft starts a real
 * PostgreSQL from the binaries Maven brought, keeping its data under {@code
 * graft.data-dir/postgres} across restarts. Setting {@code spring.datasource.url} turns this off
 * and Boot's own DataSource takes over. With {@code graft.embedded-database=false} (the container
 * image and the Helm chart) it is never started, and a missing URL stops start-up with {@link
 * DatabaseNotConfigured} instead of writing to a database that lives and dies with the container.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedPostgresConfiguration.EmbeddedWanted.class)
class EmbeddedPostgresConfiguration {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);

  @Bean(destroyMethod = "close")
  EmbeddedPostgres embeddedPostgres(GraftProperties properties) throws IOException {
    Path dir = properties.dataDir().resolve("postgres").toAbsolutePath();
    Files.createDirectories(dir);
    stopOrphanedServer(dir);
    return EmbeddedPostgres.builder()
        .setDataDirectory(dir)
        .setCleanDataDirectory(false)
        .setServerConfig("max_connections", "100")
        // Closed by Spring after the web server's graceful shutdown and the worker's hand-back,
        // not by a JVM hook of its own that would race them and stop the database first.
        .setRegisterShutdownHook(false)
        .start();
  }

  @Bean(destroyMethod = "close")
  DataSource dataSource(EmbeddedPostgres postgres) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
    config.setUsername("postgres");
    config.setMaximumPoolSize(10);
    config.setPoolName("graft-embedded");
    return new HikariDataSource(config);
  }

  /**
   * A Graft process that was killed (SIGKILL, a crash in native code) leaves its embedded
   * PostgreSQL running with its {@code postmaster.pid} in the data folder, and no new server can
   * start there. When no live process holds the folder (the embedded server's {@code epg-lock}),
   * that server is an orphan: it is stopped here (a fast shutdown, then a kill if it does not stop)
   * so that Graft starts cleanly. When a live process holds the folder, start-up stops with a
   * message saying so.
   *
   * @throws IllegalStateException when another live process uses this data folder
   */
  static void stopOrphanedServer(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    } catch (RuntimeException unreadable) {
      return; // PostgreSQL itself deals with a stale or torn lock file
    }
    Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (server.isEmpty()
        || !server.get().info().command().map(c -> c.contains("postgres")).orElse(false)) {
      return; // stale: the server is gone, and PostgreSQL removes its own stale lock file
    }
    try (FileChannel ch =
            FileChannel.open(
                dir.resolve("epg-lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = ch.tryLock()) {
      if (held == null) {
        throw new IllegalStateException(
            "another running Graft process uses the data folder "
                + dir.getParent()
                + " (its embedded PostgreSQL, pid "
                + pid
                + ", is live); stop it or give this one another graft.data-dir");
      }
    } catch (java.nio.channels.OverlappingFileLockException sameJvm) {
      throw new IllegalStateException(
          "this process already runs an embedded PostgreSQL in " + dir, sameJvm);
    }
    log.warn(
        "an embedded PostgreSQL (pid {}) left running by a Graft process that died holds {};"
            + " stopping it before starting a new one",
        pid,
        dir);
    // SIGINT is PostgreSQL's fast shutdown: it ends the dead process's sessions and checkpoints.
    signal(pid, "INT");
    if (!waitForExit(server.get(), 30)) {
      server.get().destroyForcibly();
      waitForExit(server.get(), 10);
    }
  }

  private static void signal(long pid, String name) throws IOException {
    try {
      new ProcessBuilder("kill", "-" + name, Long.toString(pid))
          .redirectErrorStream(true)
          .start()
          .waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException noKill) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
  }

  private static boolean waitForExit(ProcessHandle p, int seconds) {
    try {
      p.onExit().get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return !p.isAlive();
    }
  }

  /** Matches when no external database is configured and the embedded one is allowed. */
  static class EmbeddedWanted implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return !hasDatasourceUrl(context.getEnvironment())
          && embeddedAllowed(context.getEnvironment());
    }
  }

  /** Matches when no external database is configured and the embedded one is turned off. */
  static class NoDatabaseConfigured implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return !hasDatasourceUrl(context.getEnvironment())
          && !embeddedAllowed(context.getEnvironment());
    }
  }

  static boolean hasDatasourceUrl(Environment env) {
    return StringUtils.hasText(env.getProperty("spring.datasource.url"));
  }

  static boolean embeddedAllowed(Environment env) {
    return Binder.get(env).bind("graft.embedded-database", Boolean.class).orElse(true);
  }
}
