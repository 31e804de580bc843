package dev.graft.architecture;

import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import dev.graft.plan.EntryKind;
import dev.graft.shared.JdbcBatches;
import dev.graft.shared.PgLongArrays;
import java.nio.ByteOrder;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The architecture tables: one {@code architecture} row per upload, and its entries in {@code
 * architecture_entry}, in {@code state_dict()} order, with where each initial value lies in the
 * blob.
 *
 * <p>Graft's persistence style: each feature keeps its SQL in one package-private store on Spring's
 * {@link JdbcClient}, with explicit SQL and rows mapped by hand to the feature's records.
 * Transactions belong to the service that calls it; the store joins them. Entry rows are written
 * with {@link JdbcBatches} (an architecture can have 100,000 entries) and never edited.
 */
@Repository
class ArchitectureStore {

  private static final String ARCHITECTURE_COLUMNS =
      "id, name, source, sha256, size_bytes, entry_count, numel, trainable_numel,"
          + " has_initial_values, created_at";

  private static final String ENTRY_COLUMNS =
      "entry_key, dtype, shape, kind, requires_grad, init, strides, storage_key, storage_offset,"
          + " storage_data_offset, storage_bytes, big_endian";

  private static final String ENTRY_SELECT =
      "entry_key, dtype, shape::text as shape, kind, requires_grad, init, strides::text as strides,"
          + " storage_key, storage_offset, storage_data_offset, storage_bytes, big_endian";

  private final JdbcClient jdbc;
  private final JdbcTemplate batches;
  private final JsonMapper json;

  ArchitectureStore(JdbcClient jdbc, JdbcTemplate batches, JsonMapper json) {
    this.jdbc = jdbc;
    this.batches = batches;
    this.json = json;
  }

  /** Inserts an architecture's row; its entries follow with {@link #insertEntries}. */
  void insert(Architecture a) {
    jdbc.sql("insert into architecture (" + ARCHITECTURE_COLUMNS + ") values (?,?,?,?,?,?,?,?,?,?)")
        .params(
            a.id(),
            a.name(),
            a.source().name(),
            a.sha256(),
            a.sizeBytes(),
            a.entryCount(),
            a.numel(),
            a.trainableNumel(),
            a.hasInitialValues(),
            Timestamp.from(a.createdAt()))
        .update();
  }

  /** An architecture by id. */
  Optional<Architecture> find(UUID id) {
    return jdbc.sql("select " + ARCHITECTURE_COLUMNS + " from architecture where id = ?")
        .param(id)
        .query((rs, n) -> map(rs))
        .optional();
  }

  /** The architecture stored under these bytes. */
  Optional<Architecture> findBySha256(String sha256) {
    return jdbc.sql("select " + ARCHITECTURE_COLUMNS + " from architecture where sha256 = ?")
        .param(sha256)
        .query((rs, n) -> map(rs))
        .optional();
  }

  boolean exists(UUID id) {
    return jdbc.sql("select exists (select 1 from architecture where id = ?)")
        .param(id)
        .query(Boolean.class)
        .single();
  }

  boolean existsBySha256(String sha256) {
    return jdbc.sql("select exists (select 1 from architecture where sha256 = ?)")
        .param(sha256)
        .query(Boolean.class)
        .single();
  }

  /** A page of architectures, newest first (ties by id). */
  List<Architecture> page(long offset, int limit) {
    return jdbc.sql(
            "select "
                + ARCHITECTURE_COLUMNS
                + " from architecture order by created_at desc, id offset ? limit ?")
        .params(offset, limit)
        .query((rs, n) -> map(rs))
        .list();
  }

  /** How many architectures there are. */
  long count() {
    return jdbc.sql("select count(*) from architecture").query(Long.class).single();
  }

  /**
   * Locks an architecture's row for deletion until the transaction ends ({@code FOR UPDATE}): a run
   * or version that pins it meanwhile waits, then finds it gone.
   *
   * @return its SHA-256, or empty when there is no such architecture
   */
  Optional<String> lockForDelete(UUID id) {
    return jdbc.sql("select sha256 from architecture where id = ? for update")
        .param(id)
        .query(String.class)
        .optional();
  }

  /**
   * Locks an architecture's row against deletion until the transaction ends ({@code FOR KEY SHARE}:
   * a delete's {@code FOR UPDATE} waits for it; readers and other pins do not).
   *
   * @return whether it exists
   */
  boolean lockAgainstDelete(UUID id) {
    return !jdbc.sql("select 1 from architecture where id = ? for key share")
        .param(id)
        .query(Integer.class)
        .list()
        .isEmpty();
  }

  /** Deletes an architecture's row; its entry rows go with it (on delete cascade). */
  void delete(UUID id) {
    jdbc.sql("delete from architecture where id = ?").param(id).update();
  }

  /** Inserts an architecture's entries in order. */
  void insertEntries(UUID architectureId, List<StoredEntry> entries) {
    String sql =
        "insert into architecture_entry (architecture_id, ordinal, "
            + ENTRY_COLUMNS
            + ") values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    JdbcBatches.insert(
        batches,
        sql,
        entries,
        (ps, con, ordinal, e) -> {
          TensorInfo v = e.initialValue();
          int c = 1;
          ps.setObject(c++, architectureId);
          ps.setInt(c++, ordinal);
          ps.setString(c++, e.key());
          ps.setString(c++, e.dtype().torchName());
          ps.setArray(c++, con.createArrayOf("bigint", e.shape().toArray()));
          ps.setString(c++, e.kind().name());
          ps.setBoolean(c++, e.requiresGrad());
          ps.setString(c++, e.init() == null ? null : json.writeValueAsString(e.init()));
          ps.setArray(c++, v == null ? null : con.createArrayOf("bigint", v.strides().toArray()));
          ps.setString(c++, v == null ? null : v.storageKey());
          ps.setObject(c++, v == null ? null : v.storageOffset());
          ps.setObject(c++, v == null ? null : v.storageDataOffset());
          ps.setObject(c++, v == null ? null : v.storageBytes());
          ps.setObject(c++, v == null ? null : v.byteOrder() == ByteOrder.BIG_ENDIAN);
        });
  }

  /** A page of an architecture's entries in order. */
  List<StoredEntry> entryPage(UUID architectureId, long offset, int limit) {
    return jdbc.sql(
            "select "
                + ENTRY_SELECT
                + " from architecture_entry where architecture_id = ? order by ordinal offset ? limit ?")
        .params(architectureId, offset, limit)
        .query((rs, n) -> mapEntry(rs))
        .list();
  }

  /** All of an architecture's entries in order. */
  List<StoredEntry> entries(UUID architectureId) {
    return jdbc.sql(
            "select "
                + ENTRY_SELECT
                + " from architecture_entry where architecture_id = ? order by ordinal")
        .param(architectureId)
        .query((rs, n) -> mapEntry(rs))
        .list();
  }

  private static Architecture map(ResultSet rs) throws SQLException {
    return new Architecture(
        rs.getObject("id", UUID.class),
        rs.getString("name"),
        ArchitectureSource.valueOf(rs.getString("source")),
        rs.getString("sha256"),
        rs.getLong("size_bytes"),
        rs.getInt("entry_count"),
        rs.getLong("numel"),
        rs.getLong("trainable_numel"),
        rs.getBoolean("has_initial_values"),
        rs.getTimestamp("created_at").toInstant());
  }

  private StoredEntry mapEntry(ResultSet rs) throws SQLException {
    DType dtype = DType.byTorchName(rs.getString("dtype")).orElseThrow();
    String init = rs.getString("init");
    List<Long> shape = PgLongArrays.parse(rs.getString("shape"));
    TensorInfo value = null;
    if (rs.getString("storage_key") != null) {
      value =
          new TensorInfo(
              rs.getString("entry_key"),
              dtype,
              shape,
              PgLongArrays.parse(rs.getString("strides")),
              rs.getLong("storage_offset"),
              rs.getString("storage_key"),
              rs.getLong("storage_data_offset"),
              rs.getLong("storage_bytes"),
              rs.getBoolean("big_endian") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN,
              "PARAMETER".equals(rs.getString("kind")),
              null);
    }
    return new StoredEntry(
        rs.getString("entry_key"),
        dtype,
        shape,
        EntryKind.valueOf(rs.getString("kind")),
        rs.getBoolean("requires_grad"),
        init == null ? null : json.readValue(init, new TypeReference<Map<String, Object>>() {}),
        value);
  }
}
