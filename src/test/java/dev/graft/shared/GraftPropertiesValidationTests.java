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
          "graft.security.lockout.max-failures=0"
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
