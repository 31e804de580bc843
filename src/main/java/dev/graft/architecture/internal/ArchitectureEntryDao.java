package dev.graft.architecture.internal;

import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import dev.graft.shared.JdbcBatches;
import dev.graft.shared.PgLongArrays;
import java.nio.ByteOrder;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** Architecture entry rows, written in JDBC batches (an architecture can have 100,000 entries). */
@Repository
public class ArchitectureEntryDao {

  private static final String COLUMNS =
      "entry_key, dtype, shape, kind, requires_grad, init, strides, storage_key, storage_offset,"
          + " storage_data_offset, storage_bytes, big_endian";

  private static final String SELECT =
      "entry_key, dtype, shape::text as shape, kind, requires_grad, init, strides::text as strides,"
          + " storage_key, storage_offset, storage_data_offset, storage_bytes, big_endian";

  private final JdbcTemplate jdbc;

  public ArchitectureEntryDao(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** Inserts an architecture's entries in order. */
  public void insert(UUID architectureId, List<StoredEntry> entries) {
    String sql =
        "insert into architecture_entry (architecture_id, ordinal, "
            + COLUMNS
            + ") values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    JdbcBatches.insert(
        jdbc,
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
          ps.setString(c++, e.kind());
          ps.setBoolean(c++, e.requiresGrad());
          ps.setString(c++, e.initJson());
          ps.setArray(c++, v == null ? null : con.createArrayOf("bigint", v.strides().toArray()));
          ps.setString(c++, v == null ? null : v.storageKey());
          ps.setObject(c++, v == null ? null : v.storageOffset());
          ps.setObject(c++, v == null ? null : v.storageDataOffset());
          ps.setObject(c++, v == null ? null : v.storageBytes());
          ps.setObject(c++, v == null ? null : v.byteOrder() == ByteOrder.BIG_ENDIAN);
        });
  }

  /** A page of entries in order. */
  public List<StoredEntry> page(UUID architectureId, long offset, int limit) {
    return jdbc.query(
        "select "
            + SELECT
            + " from architecture_entry where architecture_id = ? order by ordinal offset ? limit ?",
        (rs, n) -> map(rs),
        architectureId,
        offset,
        limit);
  }

  /** All entries in order. */
  public List<StoredEntry> all(UUID architectureId) {
    List<StoredEntry> out = new ArrayList<>();
    jdbc.query(
        "select " + SELECT + " from architecture_entry where architecture_id = ? order by ordinal",
        rs -> {
          out.add(map(rs));
        },
        architectureId);
    return out;
  }

  private static StoredEntry map(ResultSet rs) throws SQLException {
    DType dtype = DType.byTorchName(rs.getString("dtype")).orElseThrow();
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
        rs.getString("kind"),
        rs.getBoolean("requires_grad"),
        rs.getString("init"),
        value);
  }
}
