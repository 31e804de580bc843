package dev.graft.checkpoint.internal;

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

/**
 * The per-tensor index rows. Plain JDBC batches rather than JPA entities: a checkpoint can hold a
 * hundred thousand tensors, and they are written once and read in pages or whole, never edited.
 */
@Repository
public class TensorIndexDao {

  private static final String COLUMNS =
      "tensor_key, dtype, shape, strides, storage_key, storage_offset, storage_data_offset,"
          + " storage_bytes, big_endian, parameter, requires_grad";

  private static final String SELECT =
      "tensor_key, dtype, shape::text as shape, strides::text as strides, storage_key, storage_offset,"
          + " storage_data_offset, storage_bytes, big_endian, parameter, requires_grad";

  private final JdbcTemplate jdbc;

  public TensorIndexDao(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** Inserts the index of one checkpoint, in file order. */
  public void insert(UUID checkpointId, List<TensorInfo> tensors) {
    String sql =
        "insert into checkpoint_tensor (checkpoint_id, ordinal, numel, byte_start, byte_end, "
            + COLUMNS
            + ") values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    JdbcBatches.insert(
        jdbc,
        sql,
        tensors,
        (ps, con, ordinal, t) -> {
          int c = 1;
          ps.setObject(c++, checkpointId);
          ps.setInt(c++, ordinal);
          ps.setLong(c++, t.numel());
          ps.setLong(c++, t.byteStart());
          ps.setLong(c++, t.byteEnd());
          ps.setString(c++, t.key());
          ps.setString(c++, t.dtype().torchName());
          ps.setArray(c++, con.createArrayOf("bigint", t.shape().toArray()));
          ps.setArray(c++, con.createArrayOf("bigint", t.strides().toArray()));
          ps.setString(c++, t.storageKey());
          ps.setLong(c++, t.storageOffset());
          ps.setLong(c++, t.storageDataOffset());
          ps.setLong(c++, t.storageBytes());
          ps.setBoolean(c++, t.byteOrder() == ByteOrder.BIG_ENDIAN);
          ps.setBoolean(c++, t.parameter());
          ps.setObject(c++, t.requiresGrad());
        });
  }

  /**
   * One page of a checkpoint's tensors in file order, optionally only keys starting with a prefix.
   */
  public List<TensorInfo> page(UUID checkpointId, String prefix, long offset, int limit) {
    return jdbc.query(
        "select "
            + SELECT
            + " from checkpoint_tensor where checkpoint_id = ? and tensor_key like ? escape '\\'"
            + " order by ordinal offset ? limit ?",
        (rs, n) -> map(rs),
        checkpointId,
        likePrefix(prefix),
        offset,
        limit);
  }

  /** How many of a checkpoint's tensors start with a prefix. */
  public long count(UUID checkpointId, String prefix) {
    Long n =
        jdbc.queryForObject(
            "select count(*) from checkpoint_tensor where checkpoint_id = ? and tensor_key like ? escape '\\'",
            Long.class,
            checkpointId,
            likePrefix(prefix));
    return n == null ? 0 : n;
  }

  /** The whole index of a checkpoint, in file order. */
  public List<TensorInfo> all(UUID checkpointId) {
    List<TensorInfo> out = new ArrayList<>();
    jdbc.query(
        "select " + SELECT + " from checkpoint_tensor where checkpoint_id = ? order by ordinal",
        rs -> {
          out.add(map(rs));
        },
        checkpointId);
    return out;
  }

  private static String likePrefix(String prefix) {
    String p = prefix == null ? "" : prefix;
    return p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
  }

  private static TensorInfo map(ResultSet rs) throws SQLException {
    return new TensorInfo(
        rs.getString("tensor_key"),
        DType.byTorchName(rs.getString("dtype")).orElseThrow(),
        PgLongArrays.parse(rs.getString("shape")),
        PgLongArrays.parse(rs.getString("strides")),
        rs.getLong("storage_offset"),
        rs.getString("storage_key"),
        rs.getLong("storage_data_offset"),
        rs.getLong("storage_bytes"),
        rs.getBoolean("big_endian") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN,
        rs.getBoolean("parameter"),
        (Boolean) rs.getObject("requires_grad"));
  }
}
