package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.TestSupport.QueuedRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The queue's lease and retry rules, on a real PostgreSQL, with the in-process worker switched off
 * ({@code graft.roles=api}) so that only the test's own "workers" claim runs.
 */
class RunQueueTests extends WorkerOffTest {

  @Autowired RunStore runs;

  private UUID enqueue(int maxAttempts) {
    return QueuedRun.ofNothing().withMaxAttempts(maxAttempts).insert(jdbc);
  }

  @Test
  void shouldNeverHandTheSameRunToTwoWorkers() throws Exception {
    List<UUID> queued = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      queued.add(enqueue(3));
    }
    Map<UUID, String> claimedBy = new ConcurrentHashMap<>();
    AtomicInteger doubleClaims = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      String owner = "worker-" + w;
      workers.add(
          pool.submit(
              () -> {
                Optional<RunRow> r;
                while ((r = runs.claim(owner, Duration.ofMinutes(5), "cpu")).isPresent()) {
                  if (claimedBy.putIfAbsent(r.get().id(), owner) != null) {
                    doubleClaims.incrementAndGet();
                  }
                }
              }));
    }
    for (Future<?> f : workers) {
      f.get();
    }
    pool.shutdown();

    assertThat(doubleClaims).hasValue(0);
    assertThat(claimedBy.keySet()).containsExactlyInAnyOrderElementsOf(queued);
    assertThat(
            jdbc.sql(
                    "select count(*) from warm_start_run where attempts = 1 and status = 'RUNNING'")
                .query(Long.class)
                .single())
        .isEqualTo(40);
  }

  @Test
  void shouldGiveARunWhoseWorkerDiedToAnotherOnceItsLeaseExpires() throws Exception {
    UUID id = enqueue(3);
    RunRow first = runs.claim("dies", Duration.ofMinutes(1), "cpu").orElseThrow();
    assertThat(first.id()).isEqualTo(id);
    assertThat(runs.heartbeat(id, "dies", Duration.ofMinutes(1), 2, 100)).hasValue(false);

    assertThat(runs.claim("survives", Duration.ofMinutes(1), "cpu"))
        .as("the lease still holds")
        .isEmpty();
    // The worker dies: no heartbeat comes, and the lease runs out (moved to the past here instead
    // of waiting a minute).
    jdbc.sql(
            "update warm_start_run set lease_expires_at = now() - interval '1 second' where id = ?")
        .param(id)
        .update();
    RunRow second = runs.claim("survives", Duration.ofMinutes(1), "cpu").orElseThrow();

    assertThat(second.id()).isEqualTo(id);
    assertThat(second.attempts()).isEqualTo(2);
    assertThat(second.tensorsDone()).as("progress restarts with the attempt").isZero();
    // The dead worker, should it come back, has lost the run: nothing it says changes it.
    assertThat(runs.heartbeat(id, "dies", Duration.ofMinutes(1), 5, 500)).isEmpty();
    assertThat(runs.finish(id, "dies", RunStatus.SUCCEEDED, null, null, "m", 1)).isFalse();
    assertThat(runs.finish(id, "survives", RunStatus.SUCCEEDED, null, null, null, null)).isTrue();
    assertThat(runs.find(id).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
  }

  @Test
  void shouldFailARunWhoseWorkersKeepDyingAfterItsAttempts() throws Exception {
    UUID id = enqueue(2);
    runs.claim("dies-1", Duration.ofMillis(300), "cpu").orElseThrow();
    Thread.sleep(500);
    assertThat(runs.claim("dies-2", Duration.ofMillis(300), "cpu").orElseThrow().attempts())
        .isEqualTo(2);
    Thread.sleep(500);

    assertThat(runs.claim("next", Duration.ofMinutes(1), "cpu")).as("no attempts left").isEmpty();
    assertThat(runs.sweepAbandoned()).isEqualTo(1);

    RunRow r = runs.find(id).orElseThrow();
    assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    assertThat(r.error()).contains("stopped responding").contains("2 attempts");
    assertThat(r.finishedAt()).isNotNull();
  }

  @Test
  void shouldRequeueAFaultForAnotherAttempt() {
    UUID id = enqueue(3);
    runs.claim("w", Duration.ofMinutes(1), "cpu").orElseThrow();
    assertThat(runs.requeue(id, "w", "attempt 1 failed: disk full")).isTrue();
    RunRow again = runs.claim("w2", Duration.ofMinutes(1), "cpu").orElseThrow();
    assertThat(again.attempts()).isEqualTo(2);
    assertThat(again.error()).contains("disk full");
  }

  @Test
  void shouldCancelQueuedRunsAtOnceAndRunningOnesThroughTheirHeartbeat() {
    UUID queued = enqueue(3);
    assertThat(runs.requestCancel(queued)).hasValue(RunStatus.CANCELLED);
    assertThat(runs.claim("w", Duration.ofMinutes(1), "cpu")).isEmpty();

    UUID running = enqueue(3);
    runs.claim("w", Duration.ofMinutes(1), "cpu").orElseThrow();
    assertThat(runs.requestCancel(running)).hasValue(RunStatus.RUNNING);
    assertThat(runs.heartbeat(running, "w", Duration.ofMinutes(1), 1, 1)).hasValue(true);
  }
}
