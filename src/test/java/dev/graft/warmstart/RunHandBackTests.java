package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.TestSupport.QueuedRun;
import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.warmstart.internal.DjlTensorEngine;
import dev.graft.warmstart.internal.TensorEngine;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A worker shutting down gives its run back before the next tensor: the run is queued again at
 * once, without counting the attempt, so another worker claims it without waiting for the lease
 * (GraftTopologyTests shows the same with SIGTERM across processes).
 */
class RunHandBackTests extends WorkerOffTest {

  @Autowired CheckpointService checkpoints;
  @Autowired ArchitectureService architectures;
  @Autowired RunStore runs;
  @Autowired RunExecutor executor;
  @Autowired RunService runService;
  @Autowired JdbcClient jdbc;

  @Test
  void shouldGiveARunBackUncountedSoAnotherWorkerClaimsItAtOnce() throws IOException {
    UUID id = queued();
    RunRow first = runs.claim("stopping", Duration.ofMinutes(5), "cpu").orElseThrow();
    assertThat(first.attempts()).isEqualTo(1);

    try (TensorEngine engine = DjlTensorEngine.open("cpu")) {
      assertThatThrownBy(() -> executor.execute(first, "stopping", engine, () -> true))
          .isInstanceOf(RunHandedBack.class);
      assertThat(runs.handBack(id, "stopping")).isTrue();
      RunRow back = runs.find(id).orElseThrow();
      assertThat(back.status()).isEqualTo(RunStatus.QUEUED);
      assertThat(back.attempts()).isZero();
      assertThat(back.leaseOwner()).isNull();
      assertThat(back.modelVersion()).isNull();
      assertThat(runs.handBack(id, "stopping")).as("only the holder hands back").isFalse();

      RunRow second = runs.claim("other", Duration.ofMinutes(5), "cpu").orElseThrow();
      assertThat(second.id()).isEqualTo(id);
      executor.execute(second, "other", engine, () -> false);
    }
    RunRow done = runs.find(id).orElseThrow();
    assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(done.attempts()).isEqualTo(1);
  }

  @Test
  void shouldEndAHandedBackRunCancelledWhenACancelWasAskedFor() throws IOException {
    UUID id = queued();
    runs.claim("stopping", Duration.ofMinutes(5), "cpu").orElseThrow();
    assertThat(runService.cancel(id).status()).isEqualTo(RunStatus.RUNNING);

    assertThat(runs.handBack(id, "stopping")).isTrue();

    RunRow back = runs.find(id).orElseThrow();
    assertThat(back.status()).isEqualTo(RunStatus.CANCELLED);
    assertThat(back.finishedAt()).isNotNull();
    assertThat(runs.claim("other", Duration.ofMinutes(5), "cpu")).isEmpty();
  }

  private UUID queued() throws IOException {
    UUID ckpt =
        checkpoints
            .upload(new CheckpointUpload("c", null, null), fixture("identical_lenient.ckpt.pt"))
            .resource()
            .id();
    UUID arch =
        architectures.uploadFile("MLP", fixture("identical_lenient.target.pt")).resource().id();
    return QueuedRun.of(ckpt, arch)
        .withOutput(
            "{\"model\":\"handed-back-" + UUID.randomUUID() + "\",\"formats\":[\"pytorch\"]}")
        .withMaxAttempts(3)
        .insert(jdbc);
  }

  private static InputStream fixture(String name) {
    return RunHandBackTests.class.getClassLoader().getResourceAsStream("fixtures/oracle/" + name);
  }
}
