package dev.graft.security;

import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The audit log: who changed what, from where, and which calls were refused.
 *
 * <p>Services record each change with {@link #record} inside the transaction that makes it, so the
 * change and its line are committed together or not at all. The actor is the caller the security
 * context holds (a token's name, an OIDC subject), {@code anonymous} in {@code none} mode, and
 * {@code system} outside any request (a worker registering a version); the remote address is the
 * current request's. Refused calls are recorded by the security layer, aggregated per address (see
 * {@code RefusalAudit}), so a flood of them costs a bounded number of rows.
 */
@Component
public class AuditLog {

  private static final int MAX_ACTOR = 255;
  private static final int MAX_ACTION = 64;
  private static final int MAX_TYPE = 32;
  private static final int MAX_ID = 1024;
  private static final int MAX_DETAIL = 2000;
  private static final int MAX_ADDR = 64;

  private final JdbcClient jdbc;

  AuditLog(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * Records a change, in the caller's transaction.
   *
   * @param action what was done, as {@code <resource>.<verb>} ({@code checkpoint.delete})
   * @param resourceType the kind of resource ({@code checkpoint})
   * @param resourceId its id or name
   * @param detail a short description, or {@code null}
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active: a change and its line must commit together
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(String action, String resourceType, String resourceId, String detail) {
    insert(
        Instant.now(),
        Callers.actor(),
        action,
        resourceType,
        resourceId,
        detail,
        Callers.remoteAddr());
  }

  /**
   * The name changes made now are recorded under: the caller's token name or JWT subject, {@code
   * anonymous} in a request without one, {@code system} outside any request.
   */
  public String actor() {
    return Callers.actor();
  }

  /** Writes a line of refused calls on its own (a refusal changes nothing it could commit with). */
  void refusal(Instant at, String actor, String action, String detail, String remoteAddr) {
    insert(at, actor, action, null, null, detail, remoteAddr);
  }

  /**
   * Lines of the log, newest first.
   *
   * @param actor only this actor's lines, or {@code null}
   * @param action only this action's lines, or {@code null}
   * @param since only lines at or after this instant, or {@code null}
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<AuditEntry> list(
      String actor, String action, Instant since, PageRequest page) {
    StringBuilder where = new StringBuilder(" where true");
    List<Object> params = new ArrayList<>();
    if (actor != null) {
      where.append(" and actor = ?");
      params.add(actor);
    }
    if (action != null) {
      where.append(" and action = ?");
      params.add(action);
    }
    if (since != null) {
      where.append(" and at >= ?");
      params.add(Timestamp.from(since));
    }
    long total =
        jdbc.sql("select count(*) from audit_event" + where)
            .params(params)
            .query(Long.class)
            .single();
    List<Object> pageParams = new ArrayList<>(params);
    pageParams.add(page.size());
    pageParams.add(page.offset());
    List<AuditEntry> items =
        jdbc.sql(
                "select at, actor, action, resource_type, resource_id, detail, remote_addr"
                    + " from audit_event"
                    + where
                    + " order by at desc, id desc limit ? offset ?")
            .params(pageParams)
            .query(
                (rs, n) ->
                    new AuditEntry(
                        rs.getTimestamp(1).toInstant(),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getString(7)))
            .list();
    return new PageResponse<>(items, page.page(), page.size(), total);
  }

  private void insert(
      Instant at,
      String actor,
      String action,
      String resourceType,
      String resourceId,
      String detail,
      String remoteAddr) {
    jdbc.sql(
            "insert into audit_event (at, actor, action, resource_type, resource_id, detail,"
                + " remote_addr) values (?, ?, ?, ?, ?, ?, ?)")
        .params(
            Timestamp.from(at.truncatedTo(ChronoUnit.MICROS)),
            cut(actor, MAX_ACTOR),
            cut(action, MAX_ACTION),
            cut(resourceType, MAX_TYPE),
            cut(resourceId, MAX_ID),
            cut(detail, MAX_DETAIL),
            cut(remoteAddr, MAX_ADDR))
        .update();
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
