package dev.graft.events;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Webhooks, their deliveries and attempts. Deliveries double as the dispatchers' queue: a claim
 * takes, per webhook, only the oldest pending delivery (so events reach a webhook in order), and
 * only once it is due, unleased, and older than every transaction still running (see {@code
 * V20__events.sql}), with {@code FOR UPDATE SKIP LOCKED} so replicas never take the same one.
 */
@Repository
class WebhookStore {

  private final JdbcClient jdbc;

  WebhookStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  void insert(Webhook w, String secret) {
    jdbc.sql(
            "insert into webhook (id, url, events, secret, created_at, created_by)"
                + " values (?, ?, cast(? as text[]), ?, ?, ?)")
        .params(
            w.id(),
            w.url(),
            "{" + String.join(",", w.events()) + "}",
            secret,
            Timestamp.from(w.createdAt()),
            w.createdBy())
        .update();
  }

  Optional<Webhook> find(UUID id) {
    return jdbc.sql("select id, url, events, created_at, created_by from webhook where id = ?")
        .param(id)
        .query((rs, n) -> webhook(rs))
        .optional();
  }

  List<Webhook> list(long offset, int limit) {
    return jdbc.sql(
            "select id, url, events, created_at, created_by from webhook"
                + " order by created_at, id offset ? limit ?")
        .params(offset, limit)
        .query((rs, n) -> webhook(rs))
        .list();
  }

  long count() {
    return jdbc.sql("select count(*) from webhook").query(Long.class).single();
  }

  boolean delete(UUID id) {
    return jdbc.sql("delete from webhook where id = ?").param(id).update() == 1;
  }

  long countDeliveries(UUID webhookId) {
    return jdbc.sql("select count(*) from webhook_delivery where webhook_id = ?")
        .param(webhookId)
        .query(Long.class)
        .single();
  }

  /** A page of a webhook's deliveries, newest event first, with their attempts: two statements. */
  List<Delivery> deliveries(UUID webhookId, long offset, int limit) {
    record Row(
        UUID id,
        long eventId,
        String event,
        String state,
        Instant createdAt,
        Instant next,
        Instant finished) {}
    List<Row> rows =
        jdbc.sql(
                "select d.id, d.event_id, e.type, d.state, d.created_at, d.next_attempt_at,"
                    + " d.finished_at from webhook_delivery d join outbox_event e on e.id = d.event_id"
                    + " where d.webhook_id = ? order by d.event_xid desc, d.event_id desc offset ? limit ?")
            .params(webhookId, offset, limit)
            .query(
                (rs, n) ->
                    new Row(
                        rs.getObject(1, UUID.class),
                        rs.getLong(2),
                        rs.getString(3),
                        rs.getString(4),
                        instant(rs.getTimestamp(5)),
                        instant(rs.getTimestamp(6)),
                        instant(rs.getTimestamp(7))))
            .list();
    Map<UUID, List<Delivery.Attempt>> attempts = new LinkedHashMap<>();
    if (!rows.isEmpty()) {
      UUID[] ids = rows.stream().map(Row::id).toArray(UUID[]::new);
      jdbc.sql(
              "select delivery_id, attempt, started_at, duration_ms, status_code, error,"
                  + " response_excerpt from webhook_attempt where delivery_id = any (?)"
                  + " order by delivery_id, attempt, id")
          .param(ids)
          .query(
              (ResultSet rs) -> {
                attempts
                    .computeIfAbsent(rs.getObject(1, UUID.class), k -> new ArrayList<>())
                    .add(
                        new Delivery.Attempt(
                            rs.getInt(2),
                            instant(rs.getTimestamp(3)),
                            (Integer) rs.getObject(4),
                            (Integer) rs.getObject(5),
                            rs.getString(6),
                            rs.getString(7)));
              });
    }
    return rows.stream()
        .map(
            r ->
                new Delivery(
                    r.id(),
                    r.eventId(),
                    r.event(),
                    r.state(),
                    r.createdAt(),
                    "PENDING".equals(r.state()) ? r.next() : null,
                    r.finished(),
                    List.copyOf(attempts.getOrDefault(r.id(), List.of()))))
        .toList();
  }

  /** A claimed delivery with what its attempt needs. */
  record Claimed(
      UUID deliveryId,
      int attempt,
      long attemptRow,
      String url,
      String secret,
      long eventId,
      String type,
      String payloadJson,
      Instant eventCreatedAt) {}

  /**
   * Claims up to {@code limit} deliveries for {@code owner}: the oldest pending one of each
   * webhook, when it is due, unleased (or its lease expired), has attempts left and no transaction
   * older than its event is still running. Counts the attempt and writes its row, in one statement.
   */
  List<Claimed> claim(String owner, Duration lease, int maxAttempts, int limit) {
    return jdbc.sql(
            "with heads as ("
                + "  select h.id from webhook w cross join lateral ("
                + "    select d.id from webhook_delivery d"
                + "     where d.webhook_id = w.id and d.state = 'PENDING'"
                + "     order by d.event_xid, d.event_id limit 1) h),"
                + " due as ("
                + "  select d.id from webhook_delivery d join heads on heads.id = d.id"
                + "   where d.state = 'PENDING' and d.attempts < ?"
                + "     and d.event_xid < pg_snapshot_xmin(pg_current_snapshot())"
                + "     and d.next_attempt_at <= clock_timestamp()"
                + "     and (d.lease_expires_at is null or d.lease_expires_at < clock_timestamp())"
                + "   limit ? for update of d skip locked),"
                + " claimed as ("
                + "  update webhook_delivery d set attempts = d.attempts + 1, lease_owner = ?,"
                + "   lease_expires_at = clock_timestamp() + make_interval(secs => ?)"
                + "   from due where d.id = due.id"
                + "   returning d.id, d.attempts, d.webhook_id, d.event_id),"
                + " started as ("
                + "  insert into webhook_attempt (delivery_id, attempt, dispatcher, started_at)"
                + "   select id, attempts, ?, clock_timestamp() from claimed"
                + "   returning id, delivery_id)"
                + " select c.id, c.attempts, s.id, w.url, w.secret, e.id, e.type, e.payload::text,"
                + " e.created_at from claimed c join started s on s.delivery_id = c.id"
                + " join webhook w on w.id = c.webhook_id join outbox_event e on e.id = c.event_id")
        .params(maxAttempts, limit, owner, lease.toMillis() / 1000.0, owner)
        .query(
            (rs, n) ->
                new Claimed(
                    rs.getObject(1, UUID.class),
                    rs.getInt(2),
                    rs.getLong(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getLong(6),
                    rs.getString(7),
                    rs.getString(8),
                    instant(rs.getTimestamp(9))))
        .list();
  }

  /**
   * Gives up deliveries whose last attempt's dispatcher died: pending with no attempt left and an
   * expired lease (a live dispatcher records the outcome itself).
   */
  int failAbandoned(int maxAttempts) {
    return jdbc.sql(
            "update webhook_delivery set state = 'FAILED', finished_at = clock_timestamp(),"
                + " lease_owner = null, lease_expires_at = null"
                + " where state = 'PENDING' and attempts >= ? and lease_expires_at < clock_timestamp()")
        .param(maxAttempts)
        .update();
  }

  /** Records an attempt's outcome (whoever holds the delivery now: the attempt did happen). */
  void attempted(
      long attemptRow, int durationMs, Integer statusCode, String error, String excerpt) {
    jdbc.sql(
            "update webhook_attempt set duration_ms = ?, status_code = ?, error = ?,"
                + " response_excerpt = ? where id = ?")
        .params(durationMs, statusCode, error, excerpt, attemptRow)
        .update();
  }

  /**
   * Ends or reschedules a delivery the owner still holds.
   *
   * @param state {@code DELIVERED}, {@code FAILED}, or {@code PENDING} to try again at {@code next}
   * @return whether the owner still held it
   */
  boolean settle(UUID deliveryId, String owner, String state, Instant next) {
    return jdbc.sql(
                "update webhook_delivery set state = ?, next_attempt_at = coalesce(?, next_attempt_at),"
                    + " finished_at = case when ? = 'PENDING' then null else clock_timestamp() end,"
                    + " lease_owner = null, lease_expires_at = null"
                    + " where id = ? and lease_owner = ? and state = 'PENDING'")
            .params(state, next == null ? null : Timestamp.from(next), state, deliveryId, owner)
            .update()
        == 1;
  }

  private static Webhook webhook(ResultSet rs) throws SQLException {
    Array events = rs.getArray(3);
    return new Webhook(
        rs.getObject(1, UUID.class),
        rs.getString(2),
        List.copyOf(Arrays.asList((String[]) events.getArray())),
        instant(rs.getTimestamp(4)),
        rs.getString(5));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
