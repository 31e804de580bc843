package dev.graft.shared;

import dev.graft.storage.BlobStore;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Garbage collection of content-addressed blobs, safe against a concurrent writer of the same
 * bytes.
 *
 * <p>A blob may be named by rows of several features (a checkpoint, an architecture, a model
 * artifact); each feature contributes a {@link References} bean that says whether its rows name a
 * given SHA-256. A blob is removed once none does.
 *
 * <p>Safety rests on one PostgreSQL advisory lock per SHA-256, held to the end of a transaction:
 *
 * <ul>
 *   <li>every writer that inserts a row naming a blob does so through {@link #underLock}, which
 *       takes the lock in the writer's transaction first, and commits the blob into the store
 *       before that transaction commits;
 *   <li>the collector takes the same lock, then asks every {@link References}, and deletes the blob
 *       only when none answers yes, all before it releases the lock.
 * </ul>
 *
 * <p>So a writer that commits first is seen by the collector (which then keeps the blob), and a
 * collector that goes first has deleted the blob before the writer moves its own copy into place. A
 * row that is committed therefore always has its blob. The worst a crash can do is leave a blob no
 * row names (the rows are deleted and committed before collection starts): storage is leaked, never
 * lost.
 */
@Component
public class BlobGc {

  /** Whether some rows name a blob. Implemented by every feature that stores blob hashes. */
  @FunctionalInterface
  public interface References {

    /** Whether a committed row names this SHA-256 (read inside the collector's transaction). */
    boolean refersTo(String sha256);
  }

  private static final Logger log = LoggerFactory.getLogger(BlobGc.class);

  /**
   * The first key of the two-key advisory lock, so blob locks share no key with other lock users.
   */
  private static final int LOCK_SPACE = 0x67626c62; // "gblb"

  private final JdbcClient jdbc;
  private final BlobStore blobs;
  private final List<References> references;
  private final TransactionTemplate newTx;
  private final io.micrometer.core.instrument.MeterRegistry registry;

  BlobGc(
      JdbcClient jdbc,
      BlobStore blobs,
      List<References> references,
      PlatformTransactionManager txManager,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.registry = registry;
    this.jdbc = jdbc;
    this.blobs = blobs;
    this.references = references;
    this.newTx = new TransactionTemplate(txManager);
    // A fresh transaction, so the collector never reads through a caller's uncommitted snapshot.
    this.newTx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
  }

  /**
   * Writes rows that name a blob, safely against its collection: takes the blob's lock in the
   * caller's transaction, then runs {@code work}, which inserts the rows (after any check that the
   * lock makes reliable, such as whether a concurrent writer of the same bytes got there first) and
   * commits each pending blob it names into the store. The lock is held until the caller's
   * transaction ends, so a collector of the same bytes either saw the rows or has finished deleting
   * its copy before this one is moved into place.
   *
   * @return what {@code work} returns
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active (a lock that ends with the statement would protect nothing)
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public <T> T underLock(String sha256, Supplier<T> work) {
    lock(sha256);
    return work.get();
  }

  /**
   * {@link #underLock(String, Supplier)} for rows that name several blobs (a version's artifacts):
   * the locks are taken in a fixed order, so two writers of overlapping sets cannot deadlock.
   *
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public <T> T underLock(Collection<String> sha256s, Supplier<T> work) {
    for (String sha : new TreeSet<>(sha256s)) {
      lock(sha);
    }
    return work.get();
  }

  /** Takes a blob's lock until the current transaction ends. */
  private void lock(String sha256) {
    jdbc.sql("select pg_advisory_xact_lock(?, hashtext(?))")
        .params(LOCK_SPACE, sha256)
        .query((rs, n) -> Boolean.TRUE)
        .list();
  }

  /**
   * Deletes a blob if no committed row names it. Call it after the transaction that deleted the
   * rows has committed (rows still visible keep the blob). A store failure is logged and leaves the
   * blob in place: the caller's deletion has already succeeded, and a leaked blob is harmless.
   *
   * @return whether the blob was removed
   */
  public boolean collect(String sha256) {
    Boolean removed =
        newTx.execute(
            status -> {
              lock(sha256);
              for (References r : references) {
                if (r.refersTo(sha256)) {
                  return false;
                }
              }
              try {
                // Inside the lock: a writer of the same bytes waits until the blob is gone, then
                // moves its own copy into place.
                blobs.delete(sha256);
                return true;
              } catch (IOException e) {
                log.warn("could not remove unreferenced blob {}: {}", sha256, e.toString());
                return false;
              }
            });
    boolean gone = Boolean.TRUE.equals(removed);
    counted(gone ? "deleted" : "kept");
    return gone;
  }

  /** Counts a collection's result in {@code graft.blob.gc} (deleted, kept, failed). */
  void counted(String result) {
    io.micrometer.core.instrument.Counter.builder("graft.blob.gc")
        .description("blobs the collector looked at, by result")
        .tag("result", result)
        .register(registry)
        .increment();
  }
}
