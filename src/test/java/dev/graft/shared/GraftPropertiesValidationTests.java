package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** Settings out of range stop start-up with a message that names them. */
class GraftPropertiesValidationTests {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(GraftProperties.class)
  static class Bound {}

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner().withUserConfiguration(Bound.class);

  @Test
  void shouldAcceptTheDefaults() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          GraftProperties p = context.getBean(GraftProperties.class);
          assertThat(p.security().mode()).isEqualTo(GraftProperties.SecurityMode.TOKEN);
          assertThat(p.security().lockout().maxFailures()).isEqualTo(10);
          assertThat(p.gc().orphanGrace()).isEqualTo(java.time.Duration.ofHours(1));
          assertThat(p.gc().interval()).isEqualTo(java.time.Duration.ofHours(1));
          assertThat(p.idempotency().retention()).isEqualTo(java.time.Duration.ofDays(7));
        });
  }

  @Test
  void shouldRefuseAWorkerWithoutThreads() {
    runner
        .withPropertyValues("graft.worker.concurrency=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("graft.worker.concurrency")
                    .hasMessageContaining("must be at least 1"));
  }

  @Test
  void shouldRefuseAHeartbeatThatIsNotShorterThanTheLease() {
    runner
        .withPropertyValues("graft.worker.heartbeat=30s", "graft.worker.lease=10s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "graft.worker.heartbeat must be shorter than graft.worker.lease"));
  }

  @Test
  void shouldRefuseSizesAndCountsOfZero() {
    for (String setting :
        new String[] {
          "graft.upload.max-bytes=0",
          "graft.upload.max-concurrent=0",
          "graft.worker.max-attempts=0",
          "graft.limits.max-tensors=0",
          "graft.worker.poll-interval=0s",
          "graft.security.lockout.max-failures=0",
          "graft.gc.orphan-grace=0s",
          "graft.gc.interval=0s",
          "graft.idempotency.retention=0s"
        }) {
      runner
          .withPropertyValues(setting)
          .run(
              context ->
                  assertThat(context)
                      .as(setting)
                      .getFailure()
                      .rootCause()
                      .hasMessageContaining(setting.substring(0, setting.indexOf('.', 6))));
    }
  }

  @Test
  void shouldBindTheSweepersSettings() {
    runner
        .withPropertyValues(
            "graft.gc.orphan-grace=10m", "graft.gc.interval=30s", "graft.idempotency.retention=1d")
        .run(
            context -> {
              GraftProperties p = context.getBean(GraftProperties.class);
              assertThat(p.gc().orphanGrace()).isEqualTo(java.time.Duration.ofMinutes(10));
              assertThat(p.gc().interval()).isEqualTo(java.time.Duration.ofSeconds(30));
              assertThat(p.idempotency().retention()).isEqualTo(java.time.Duration.ofDays(1));
            });
  }

  @Test
  void shouldRefuseOidcModeWithoutAnAudience() {
    runner
        .withPropertyValues("graft.security.mode=oidc")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("graft.security.oidc.audience is required"));
  }

  @Test
  void shouldNeverPrintTheBootstrapToken() {
    runner
        .withPropertyValues("graft.security.bootstrap-token=graft_00000000_" + "s".repeat(40))
        .run(
            context ->
                assertThat(context.getBean(GraftProperties.class).toString())
                    .doesNotContain("sssss")
                    .contains("bootstrapToken=(set)"));
  }
}
