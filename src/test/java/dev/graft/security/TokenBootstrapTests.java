package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.shared.GraftProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The first admin token on a fresh installation with no {@code bootstrap-token}: created at
 * start-up, written owner-only to the data folder, its path logged and never its secret; created
 * once even when replicas start together.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TokenBootstrapTests {

  private static final Path DATA_DIR;

  static {
    try {
      DATA_DIR = Files.createTempDirectory("graft-bootstrap-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void fresh(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", DATA_DIR::toString);
    registry.add("graft.roles", () -> "api");
  }

  @Autowired TokenService tokens;
  @Autowired TokenStore store;
  @Autowired TokenBootstrap bootstrap;
  @Autowired JdbcClient jdbc;

  @Test
  @Order(1)
  void shouldWriteTheFirstAdminTokenForItsOwnerOnlyAndLogOnlyWhereItIs(CapturedOutput output)
      throws Exception {
    Path file = DATA_DIR.resolve("admin-token").toAbsolutePath().normalize();
    assertThat(file).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    String token = Files.readString(file).strip();
    assertThat(token).matches(TokenSecrets.SHAPE.pattern());

    assertThat(output.getAll()).contains(file.toString()).doesNotContain(token.substring(15));

    var caller = new TokenIntrospector(store).introspect(token);
    assertThat(caller.getName()).isEqualTo("bootstrap-admin");
    assertThat(caller.getAuthorities())
        .extracting(a -> a.getAuthority())
        .containsExactlyInAnyOrder("read", "write", "admin");

    // A restart with tokens in the table creates none and leaves the file alone.
    long before = jdbc.sql("select count(*) from api_token").query(Long.class).single();
    bootstrap.run(null);
    assertThat(jdbc.sql("select count(*) from api_token").query(Long.class).single())
        .isEqualTo(before);
    assertThat(Files.readString(file).strip()).isEqualTo(token);
  }

  /** Runs last: it empties the token table the first test reads. */
  @Test
  @Order(2)
  void shouldCreateOneFirstTokenWhenReplicasStartTogether() throws Exception {
    jdbc.sql("delete from api_token").update();
    int replicas = 8;
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Optional<TokenStore.TokenRow>>> results = new ArrayList<>();
      for (int i = 0; i < replicas; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return tokens.bootstrap(TokenSecrets.newToken(), () -> {});
                }));
      }
      go.countDown();
      int created = 0;
      for (Future<Optional<TokenStore.TokenRow>> r : results) {
        created += r.get().isPresent() ? 1 : 0;
      }
      assertThat(created).isEqualTo(1);
      assertThat(jdbc.sql("select count(*) from api_token").query(Long.class).single())
          .isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldRefuseABootstrapTokenSettingThatIsNoTokenWithoutRepeatingIt() {
    String almost = "graft_1234abcd_Secret with a space that is long enough to count";
    GraftProperties properties =
        new Binder(
                new MapConfigurationPropertySource(
                    Map.of(
                        "graft.data-dir",
                        DATA_DIR.toString(),
                        "graft.security.bootstrap-token",
                        almost)))
            .bind("graft", GraftProperties.class)
            .get();
    assertThatThrownBy(() -> new TokenBootstrap(tokens, properties).run(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("graft.security.bootstrap-token")
        .hasMessageContaining("graft_<8 lower-case hex digits>")
        .hasMessageNotContaining("Secret with");
  }
}
