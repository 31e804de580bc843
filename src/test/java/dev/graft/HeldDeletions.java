package dev.graft;

import dev.graft.shared.DeletionVeto;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A {@link DeletionVeto} that never objects, but can hold one deletion at its veto check: inside
 * the delete's transaction, with the row already locked, until the test releases it. Lets a test
 * act in the instant between a delete's check and its commit, deterministically.
 *
 * <p>Imported by {@link WorkerlessTest}; inert until {@link #hold} is called.
 */
public class HeldDeletions implements DeletionVeto {

  /** One held deletion. */
  public static final class Hold {
    private final UUID id;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile int backendPid;

    private Hold(UUID id) {
      this.id = id;
    }

    /**
     * Waits until the deletion is held at its check, and returns the PostgreSQL backend pid of its
     * transaction.
     */
    public int awaitHeld() throws InterruptedException {
      if (!reached.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("the deletion of " + id + " never reached its veto check");
      }
      return backendPid;
    }

    /** Lets the deletion go on. */
    public void release() {
      released.countDown();
    }
  }

  private final JdbcClient jdbc;
  private volatile Hold hold;

  HeldDeletions(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Holds the next deletion of {@code id} at its veto check until {@link Hold#release}. */
  public Hold hold(UUID id) {
    Hold h = new Hold(id);
    hold = h;
    return h;
  }

  @Override
  public Optional<String> whyNot(ResourceKind kind, UUID id) {
    Hold h = hold;
    if (h != null && h.id.equals(id)) {
      hold = null;
      // The delete's own connection, bound to its transaction on this thread.
      h.backendPid = jdbc.sql("select pg_backend_pid()").query(Integer.class).single();
      h.reached.countDown();
      try {
        if (!h.released.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("a held deletion was never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return Optional.empty();
  }
}
