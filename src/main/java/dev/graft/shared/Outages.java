package dev.graft.shared;

import dev.graft.storage.BlobStore;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * Tells a failure caused by a dependency that cannot be reached now (the database stopped or
 * restarting, the blob store's server gone) from one a retry cannot fix. The HTTP layer answers the
 * first kind with 503 and {@code Retry-After}; the worker hands such a run back without spending an
 * attempt.
 */
public final class Outages {

  private Outages() {}

  /**
   * What cannot be reached, when {@code e} or one of its causes says a dependency is down.
   *
   * @return a short phrase ("the database cannot be reached", the blob store's message), or empty
   *     when the failure is of another kind
   */
  public static Optional<String> cause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof org.springframework.transaction.TransactionSystemException x
          && x.getApplicationException() != null
          && x.getApplicationException() != e) {
        // A rollback that failed too hides the statement's own failure; that one says why.
        Optional<String> original = cause(x.getApplicationException());
        if (original.isPresent()) {
          return original;
        }
      }
      if (t instanceof BlobStore.StoreUnavailable s) {
        return Optional.of(s.getMessage());
      }
      if (t instanceof DataAccessResourceFailureException
          || t instanceof CannotCreateTransactionException
          || t instanceof TransientDataAccessException
          || t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException
          || (t instanceof SQLException s && connectionLost(s.getSQLState()))) {
        return Optional.of("the database cannot be reached");
      }
    }
    return Optional.empty();
  }

  /**
   * SQLSTATE class 08 (connection exception) and 57P01-57P03 (the server shutting down, crashed, or
   * still starting up): what a statement sees while PostgreSQL is stopped or restarting, also when
   * it arrives wrapped in a commit or rollback failure.
   */
  private static boolean connectionLost(String state) {
    return state != null
        && (state.startsWith("08")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03"));
  }
}
