package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.TestSupport.QueuedRun;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The heartbeat beats on its own schedule: an attempt busy with one tensor for longer than its
 * lease keeps the lease (no other worker can claim the run), and still learns of a cancel within a
 * beat; a cancel signalled on this replica is seen at once.
 */
class HeartbeatTests extends WorkerOffTest {

  private static final Duration LEASE = Duration.ofSeconds(1);
  private static final Duration EVERY = Duration.ofMillis(200);

  @Autowired RunStore runs;
  @Autowired Heartbeats heartbeats;

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void shouldKeepTheLeaseWhileTheAttemptIsBusyForLongerThanTheLease() throws Exception {
    UUID id = QueuedRun.ofNothing().insert(jdbc);
    assertThat(runs.claim("slow", LEASE, "cpu")).isPresent();
    try (Heartbeat h = new Heartbeat(runs, id, "slow", LEASE).start(scheduler, EVERY)) {
      // One "tensor" three leases long, with no progress reported.
      Thread.sleep(3 * LEASE.toMillis());
      assertThat(runs.claim("other", LEASE, "cpu")).as("claimed by another worker").isEmpty();
      assertThatCode(h::check).doesNotThrowAnyException();

      runs.requestCancel(id);
      long asked = System.nanoTime();
      while (true) {
        try {
          h.check();
        } catch (RunCancelled expected) {
          break;
        }
        assertThat(System.nanoTime() - asked).isLessThan(Duration.ofSeconds(10).toNanos());
        Thread.sleep(10);
      }
      System.out.printf(
          "cancel seen by a busy attempt through its heartbeat after %d ms (beat every %d ms)%n",
          (System.nanoTime() - asked) / 1_000_000, EVERY.toMillis());
    }
  }

  @Test
  void shouldStopWhenAnotherWorkerHoldsTheRun() throws Exception {
    UUID id = QueuedRun.ofNothing().withMaxAttempts(2).insert(jdbc);
    assertThat(runs.claim("first", LEASE, "cpu")).isPresent();
    jdbc.sql("update warm_start_run set lease_owner = 'second' where id = ?").param(id).update();
    try (Heartbeat h = new Heartbeat(runs, id, "first", LEASE).start(scheduler, EVERY)) {
      Thread.sleep(3 * EVERY.toMillis());
      assertThatThrownBy(h::check).isInstanceOf(LeaseLost.class);
    }
  }

  @Test
  void shouldSignalALocalCancelAtOnceAndForgetTheAttemptWhenClosed() {
    UUID id = QueuedRun.ofNothing().insert(jdbc);
    assertThat(runs.claim("local", LEASE, "cpu")).isPresent();
    try (Heartbeat h = heartbeats.start(id, "local")) {
      assertThatCode(h::check).doesNotThrowAnyException();
      assertThat(heartbeats.cancelLocal(id)).isTrue();
      assertThatThrownBy(() -> h.add(1, 10)).isInstanceOf(RunCancelled.class);
    }
    assertThat(heartbeats.cancelLocal(id)).isFalse();
  }
}
