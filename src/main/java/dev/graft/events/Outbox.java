package dev.graft.events;

import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox: services record the events their changes cause, in the transaction that makes the
 * change, so an event exists exactly when its change committed. Recording also queues one delivery
 * per webhook subscribed to the event's type; the dispatcher delivers them after the commit (this
 * process's dispatcher is woken at once, others find them at their next poll).
 *
 * <p>Run endings are recorded by a database trigger on the run table instead, through the same SQL
 * function, because a run ends in many places.
 */
@Component
public class Outbox {

  private final JdbcClient jdbc;
  private final JsonMapper json;
  private final DeliveryWakeUp wakeUp;

  Outbox(JdbcClient jdbc, JsonMapper json, DeliveryWakeUp wakeUp) {
    this.jdbc = jdbc;
    this.json = json;
    this.wakeUp = wakeUp;
  }

  /**
   * Records an event in the caller's transaction.
   *
   * @param type what happened
   * @param payload the event's {@code data}: a JSON object's fields
   * @return the event's id (its position in the outbox)
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active: an event and its change must commit together
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public long record(EventType type, Map<String, ?> payload) {
    long id =
        jdbc.sql("select graft_record_event(?, cast(? as jsonb))")
            .params(type.wireName(), json.writeValueAsString(payload))
            .query(Long.class)
            .single();
    TransactionSynchronizationManager.registerSynchronization(
        new TransactionSynchronization() {
          @Override
          public void afterCommit() {
            wakeUp.wake();
          }
        });
    return id;
  }
}
