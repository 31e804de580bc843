package dev.graft.warmstart;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The run table, which is also the job queue. Every state change is a conditional update: a claim
 * takes the oldest claimable row with {@code FOR UPDATE SKIP LOCKED}, and a heartbeat or a finish
 * only applies while the caller still holds the lease. Statuses are stored by their {@link
 * RunStatus} names; options, output and report as the JSON text they were written as.
 */
@Repository
class RunStore {

  private final JdbcClient jdbc;

  RunStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Inserts a new QUEUED run. */
  /**
   * Announces a queued run to listening workers ({@link RunWakeups}); PostgreSQL delivers it when
   * the caller's transaction commits, and drops it if that transaction rolls back.
   */
  void notifyQueued() {
    jdbc.sql("select pg_notify('" + RunWakeups.CHANNEL + "', '')").query().singleValue();
  }

  void insert(RunRow r) {
    jdbc.sql(
            "insert into warm_start_run (id, status, checkpoint_id, architecture_id, options, output, idempotency_key,"
                + " request_sha256, max_attempts, created_at, sources)"
                + " values (?,?,?,?,?,?,?,?,?,?,cast(? as jsonb))")
        .params(
            r.id(),
            r.status().name(),
            r.checkpointId(),
            r.architectureId(),
            r.optionsJson(),
            r.outputJson(),
            r.idempotencyKey(),
            r.requestSha256(),
            r.maxAttempts(),
            Timestamp.from(r.createdAt()),
            r.sourcesJson())
        .update();
  }

  /**
   * A run by id, without its report (a report of 200,000 entries is tens of megabytes, and a run is
   * read at every poll); {@link #report} reads that.
   */
  Optional<RunRow> find(UUID id) {
    return jdbc.sql("select " + LISTED + " from warm_start_run where id = ?")
        .param(id)
        .query((rs, n) -> map(rs))
        .optional();
  }

  /** A run's status and stored report (null until a worker planned it); empty when no such run. */
  Optional<StoredReport> report(UUID id) {
    return jdbc.sql("select status, report from warm_start_run where id = ?")
        .param(id)
        .query(
            (rs, n) ->
                new StoredReport(RunStatus.valueOf(rs.getString("status")), rs.getString("report")))
        .optional();
  }

  /** A run's status and its report as stored, {@code null} before it was planned. */
  record StoredReport(RunStatus status, String json) {}

  /** A run by its idempotency key, without its report. */
  Optional<RunRow> findByIdempotencyKey(String key) {
    return jdbc.sql("select " + LISTED + " from warm_start_run where idempotency_key = ?")
        .param(key)
        .query((rs, n) -> map(rs))
        .optional();
  }

  /**
   * The columns of a listing: every column but the report, which can be megabytes per run and which
   * a listing does not show.
   */
  private static final String LISTED =
      "id, status, checkpoint_id, architecture_id, options, output, idempotency_key,"
          + " request_sha256, attempts, max_attempts, lease_owner, cancel_requested, device,"
          + " tensors_done, tensors_total, bytes_done, bytes_total, null as report, error,"
          + " model_name, model_version, created_at, started_at, finished_at, sources";

  /** Runs, newest first, optionally of one status, without their reports. */
  List<RunRow> list(RunStatus status, long offset, int limit) {
    String name = status == null ? null : status.name();
    return jdbc.sql(
            "select "
                + LISTED
                + " from warm_start_run where (cast(? as varchar) is null or status = ?) order by created_at desc, id offset ? limit ?")
        .params(name, name, offset, limit)
        .query((rs, n) -> map(rs))
        .list();
  }

  /** How many runs, optionally of one status. */
  long count(RunStatus status) {
    String name = status == null ? null : status.name();
    return jdbc.sql(
            "select count(*) from warm_start_run where (cast(? as varchar) is null or status = ?)")
        .params(name, name)
        .query(Long.class)
        .single();
  }

  /** How many runs there are of each status (statuses without runs are absent). */
  java.util.Map<RunStatus, Long> countByStatus() {
    java.util.Map<RunStatus, Long> counts = new java.util.EnumMap<>(RunStatus.class);
    jdbc.sql("select status, count(*) from warm_start_run group by status")
        .query(
            rs -> {
              counts.put(RunStatus.valueOf(rs.getString(1)), rs.getLong(2));
            });
    return counts;
  }

  /**
   * The JSON a run's {@code sources} contains when one of them is the checkpoint; {@code null}
   * (matching nothing) for none.
   */
  private static String namingCheckpoint(UUID checkpointId) {
    return checkpointId == null ? null : "[{\"checkpointId\":\"" + checkpointId + "\"}]";
  }

  /**
   * Whether any run that has not ended uses a checkpoint (as any of its sources) or architecture.
   */
  boolean activeRunUses(UUID checkpointId, UUID architectureId) {
    return jdbc.sql(
                "select count(*) from warm_start_run where status in ('QUEUED','RUNNING')"
                    + " and (checkpoint_id = ? or architecture_id = ?"
                    + " or sources @> cast(? as jsonb))")
            .params(checkpointId, architectureId, namingCheckpoint(checkpointId))
            .query(Long.class)
            .single()
        > 0;
  }

  /**
   * Claims the oldest run that is queued (and not waiting out an outage, see {@link #handBack}), or
   * running under an expired lease (its worker died), for {@code owner}; counts the attempt.
   */
  Optional<RunRow> claim(String owner, Duration lease, String device) {
    return jdbc.sql(
            "with next as (select id from warm_start_run"
                // A queued row's lease_expires_at is its not-before time (see handBack).
                + " where ((status = 'QUEUED' and (lease_expires_at is null or lease_expires_at < now()))"
                + " or (status = 'RUNNING' and lease_expires_at < now()))"
                + " and attempts < max_attempts and not cancel_requested"
                + " order by created_at for update skip locked limit 1)"
                + " update warm_start_run r set status = 'RUNNING', attempts = r.attempts + 1, lease_owner = ?,"
                + " lease_expires_at = now() + make_interval(secs => ?), started_at = coalesce(r.started_at, now()),"
                + " device = ?, tensors_done = 0, bytes_done = 0"
                + " from next where r.id = next.id returning r.*")
        .params(owner, lease.toMillis() / 1000.0, device)
        .query((rs, n) -> map(rs))
        .optional();
  }

  /**
   * Ends runs whose worker keeps dying: running under an expired lease with no attempt left, or
   * asked to cancel. Returns how many were ended.
   */
  int sweepAbandoned() {
    int failed =
        jdbc.sql(
                "update warm_start_run set status = 'FAILED', finished_at = now(), lease_owner = null,"
                    + " error = 'the worker running it stopped responding ' || attempts || ' time(s); giving up after '"
                    + " || max_attempts || ' attempts'"
                    + " where status = 'RUNNING' and lease_expires_at < now() and attempts >= max_attempts"
                    + " and not cancel_requested")
            .update();
    int cancelled =
        jdbc.sql(
                "update warm_start_run set status = 'CANCELLED', finished_at = now(), lease_owner = null"
                    + " where status = 'RUNNING' and lease_expires_at < now() and cancel_requested")
            .update();
    return failed + cancelled;
  }

  /**
   * Renews the lease and records progress, while {@code owner} holds it.
   *
   * @return whether a cancel was asked for; empty when the lease is no longer this owner's
   */
  Optional<Boolean> heartbeat(
      UUID id, String owner, Duration lease, int tensorsDone, long bytesDone) {
    return jdbc.sql(
            "update warm_start_run set lease_expires_at = now() + make_interval(secs => ?), tensors_done = ?, bytes_done = ?"
                + " where id = ? and lease_owner = ? and status = 'RUNNING' returning cancel_requested")
        .params(lease.toMillis() / 1000.0, tensorsDone, bytesDone, id, owner)
        .query(Boolean.class)
        .optional();
  }

  /** Records the plan's totals and report while the owner holds the lease. */
  boolean planned(UUID id, String owner, int tensorsTotal, long bytesTotal, String reportJson) {
    return jdbc.sql(
                "update warm_start_run set tensors_total = ?, bytes_total = ?, report = ?"
                    + " where id = ? and lease_owner = ? and status = 'RUNNING'")
            .params(tensorsTotal, bytesTotal, reportJson, id, owner)
            .update()
        == 1;
  }

  /**
   * Ends a run the owner holds.
   *
   * @return whether the owner still held it (if not, nothing changed)
   */
  boolean finish(
      UUID id,
      String owner,
      RunStatus status,
      String error,
      String reportJson,
      String modelName,
      Integer modelVersion) {
    return jdbc.sql(
                "update warm_start_run set status = ?, error = ?, report = coalesce(?, report), model_name = ?,"
                    + " model_version = ?, finished_at = now(), lease_owner = null, lease_expires_at = null,"
                    + " tensors_done = case when ? = 'SUCCEEDED' then tensors_total else tensors_done end,"
                    + " bytes_done = case when ? = 'SUCCEEDED' then bytes_total else bytes_done end"
                    + " where id = ? and lease_owner = ? and status = 'RUNNING'")
            .params(
                status.name(),
                error,
                reportJson,
                modelName,
                modelVersion,
                status.name(),
                status.name(),
                id,
                owner)
            .update()
        == 1;
  }

  /** Gives a run back to the queue after a fault, for another attempt. */
  boolean requeue(UUID id, String owner, String error) {
    return jdbc.sql(
                "update warm_start_run set status = 'QUEUED', error = ?, lease_owner = null, lease_expires_at = null"
                    + " where id = ? and lease_owner = ? and status = 'RUNNING'")
            .params(error, id, owner)
            .update()
        == 1;
  }

  /**
   * Gives a run back to the queue because its worker is shutting down, not because it failed: the
   * attempt is not counted, and another worker can claim it at once instead of after the lease. A
   * run asked to cancel meanwhile ends cancelled instead of waiting in the queue.
   *
   * @return whether the owner still held it (if not, nothing changed)
   */
  public boolean handBack(UUID id, String owner) {
    return jdbc.sql(
                "update warm_start_run set status = case when cancel_requested then 'CANCELLED' else 'QUEUED' end,"
                    + " finished_at = case when cancel_requested then now() else finished_at end,"
                    + " attempts = greatest(attempts - 1, 0), lease_owner = null, lease_expires_at = null,"
                    + " tensors_done = 0, bytes_done = 0"
                    + " where id = ? and lease_owner = ? and status = 'RUNNING'")
            .params(id, owner)
            .update()
        == 1;
  }

  /**
   * Gives back a run whose attempt was cut short by an outage (the blob store or the database could
   * not be reached): it is queued again without spending the attempt, and not claimed before {@code
   * delay} has passed, so an outage of a few seconds does not use up a run's attempts. A queued
   * row's {@code lease_expires_at} is that not-before time.
   *
   * @return whether the run was still this owner's
   */
  boolean handBack(UUID id, String owner, String error, Duration delay) {
    return jdbc.sql(
                "update warm_start_run set status = 'QUEUED', attempts = greatest(attempts - 1, 0), error = ?,"
                    + " lease_owner = null, lease_expires_at = now() + make_interval(secs => ?)"
                    + " where id = ? and lease_owner = ? and status = 'RUNNING'")
            .params(error, delay.toMillis() / 1000.0, id, owner)
            .update()
        == 1;
  }

  /**
   * Asks a run to stop: a queued run is cancelled at once, a running one when its worker next
   * heartbeats.
   *
   * @return the status after the request
   */
  Optional<RunStatus> requestCancel(UUID id) {
    jdbc.sql(
            "update warm_start_run set status = 'CANCELLED', finished_at = now(), cancel_requested = true where id = ? and status = 'QUEUED'")
        .param(id)
        .update();
    jdbc.sql(
            "update warm_start_run set cancel_requested = true where id = ? and status = 'RUNNING'")
        .param(id)
        .update();
    return find(id).map(RunRow::status);
  }

  private static RunRow map(ResultSet rs) throws SQLException {
    return new RunRow(
        rs.getObject("id", UUID.class),
        RunStatus.valueOf(rs.getString("status")),
        rs.getObject("checkpoint_id", UUID.class),
        rs.getObject("architecture_id", UUID.class),
        rs.getString("options"),
        rs.getString("output"),
        rs.getString("idempotency_key"),
        rs.getString("request_sha256"),
        rs.getInt("attempts"),
        rs.getInt("max_attempts"),
        rs.getString("lease_owner"),
        rs.getBoolean("cancel_requested"),
        rs.getString("device"),
        rs.getInt("tensors_done"),
        rs.getInt("tensors_total"),
        rs.getLong("bytes_done"),
        rs.getLong("bytes_total"),
        rs.getString("report"),
        rs.getString("error"),
        rs.getString("model_name"),
        (Integer) rs.getObject("model_version"),
        instant(rs.getTimestamp("created_at")),
        instant(rs.getTimestamp("started_at")),
        instant(rs.getTimestamp("finished_at")),
        rs.getString("sources"));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
