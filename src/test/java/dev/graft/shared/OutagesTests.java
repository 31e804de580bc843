package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.storage.BlobStore;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.transaction.TransactionSystemException;

/** What counts as an outage (503, a run handed back) and what does not. */
class OutagesTests {

  @Test
  void shouldSeeTheDatabaseBehindARollbackThatFailedToo() {
    TransactionSystemException rollback =
        new TransactionSystemException("JDBC rollback failed", new SQLException("closed"));
    rollback.initApplicationException(
        new DataAccessResourceFailureException("terminating connection"));
    assertThat(Outages.cause(rollback)).hasValue("the database cannot be reached");
  }

  @Test
  void shouldSeeAServerShuttingDownOrStartingByItsSqlState() {
    assertThat(Outages.cause(new RuntimeException(new SQLException("x", "57P01")))).isPresent();
    assertThat(Outages.cause(new SQLException("x", "57P03"))).isPresent();
    assertThat(Outages.cause(new SQLException("x", "08006"))).isPresent();
    assertThat(Outages.cause(new SQLException("x", "23505"))).isEmpty();
  }

  @Test
  void shouldSeeAnUnreachableStoreInsideAnUncheckedWrapper() {
    assertThat(
            Outages.cause(
                new UncheckedIOException(
                    new BlobStore.StoreUnavailable("cannot read x from S3", null))))
        .hasValue("cannot read x from S3");
  }

  @Test
  void shouldNotTakeABadRequestForAnOutage() {
    assertThat(Outages.cause(new DataIntegrityViolationException("duplicate"))).isEmpty();
    assertThat(Outages.cause(new IllegalStateException("no"))).isEmpty();
  }
}
