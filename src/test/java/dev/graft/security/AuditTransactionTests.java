package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A line of the audit log commits with the change it records, or not at all: a change that rolls
 * back leaves no line, and a line cannot be written on its own.
 */
class AuditTransactionTests extends IntegrationTest {

  @Autowired AuditLog audit;
  @Autowired TransactionTemplate tx;
  @Autowired JdbcClient jdbc;

  @Test
  void shouldLeaveNoLineWhenTheChangeItRecordsRollsBack() {
    String id = UUID.randomUUID().toString();

    assertThatThrownBy(
            () ->
                tx.executeWithoutResult(
                    status -> {
                      audit.record("model.delete", "model", id, "rolled back");
                      throw new IllegalStateException("the change fails after its line");
                    }))
        .hasMessageContaining("the change fails");
    assertThat(lines(id)).isZero();

    tx.executeWithoutResult(status -> audit.record("model.delete", "model", id, "committed"));
    assertThat(lines(id)).isOne();
  }

  @Test
  void shouldRefuseToWriteALineOutsideTheChangesTransaction() {
    String id = UUID.randomUUID().toString();

    assertThatThrownBy(() -> audit.record("model.delete", "model", id, "alone"))
        .isInstanceOf(IllegalTransactionStateException.class);
    assertThat(lines(id)).isZero();
  }

  private long lines(String resourceId) {
    return jdbc.sql("select count(*) from audit_event where resource_id = ?")
        .param(resourceId)
        .query(Long.class)
        .single();
  }
}
