package dev.graft.checkpoint;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import dev.graft.shared.JdbcBatches;
import dev.graft.shared.PgLongArrays;
import java.nio.ByteOrder;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
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
 * The checkpoint tables: one {@code checkpoint} row per upload, and its tensor index in {@code
 * checkpoint_tensor}, one row per state-dict key in file order.
 *
 * <p>Graft's persistence style: each feature keeps its SQL in one package-private store on Spring's
 * {@link JdbcClient}, with explicit SQL, rows mapped by hand to the feature's records, and JSON
 * columns (de)serialised here. Transactions belong to the service that calls it; the store joins
 * them. Index rows are written with {@link JdbcBatches} (a checkpoint can hold a hundred thousand
 * tensors), and read in pages or whole, never edited.
 */
@Repository
class CheckpointStore {

  private static final String CHECKPOINT_COLUMNS =
      "id, name, sha256, size_bytes, format, state_dict_path, tensor_count, numel, dtypes,"
          + " metadata, created_at";

  /** The columns, and a sharded checkpoint's files in order. */
  private static final String SELECTED =
      CHECKPOINT_COLUMNS
          + ", (select json_agg(json_build_object('fileName', s.file_name, 'sha256', s.sha256,"
          + " 'sizeBytes', s.size_bytes) order by s.position) from checkpoint_shard s"
          + " where s.checkpoint_id = checkpoint.id) as shards";

  private static final String TENSOR_COLUMNS =
      "tensor_key, dtype, shape, strides, storage_key, storage_offset, storage_data_offset,"
          + " storage_bytes, big_endian, parameter, requires_grad";

  private static final String TENSOR_SELECT =
      "tensor_key, dtype, shape::text as shape, strides::text as strides, storage_key, storage_offset,"
          + " storage_data_offset, storage_bytes, big_endian, parameter, requires_grad";

  private final JdbcClient jdbc;
  private final JdbcTemplate batches;
  private final JsonMapper json;

  CheckpointStore(JdbcClient jdbc, JdbcTemplate batches, JsonMapper json) {
    this.jdbc = jdbc;
    this.batches = batches;
    this.json = json;
  }

  /** Inserts a checkpoint's row; its tensors follow with {@link #insertTensors}. */
  void insert(Checkpoint c, Map<String, Long> moduleVersions) {
    jdbc.sql(
            "insert into checkpoint ("
                + CHECKPOINT_COLUMNS
                + ", module_versions) values (?,?,?,?,?,?,?,?,?,?,?,?)")
        .params(
            c.id(),
            c.name(),
            c.sha256(),
            c.sizeBytes(),
            c.format().wireName(),
            c.stateDictPath(),
            c.tensorCount(),
            c.numel(),
            json.writeValueAsString(c.dtypes()),
            json.writeValueAsString(c.metadata()),
            Timestamp.from(c.createdAt()),
            json.writeValueAsString(moduleVersions))
        .update();
  }

  /** A checkpoint by id. */
  Optional<Checkpoint> find(UUID id) {
    return jdbc.sql("select " + SELECTED + " from checkpoint where id = ?")
        .param(id)
        .query((rs, n) -> map(rs))
        .optional();
  }

  /** The checkpoint stored under these bytes. */
  Optional<Checkpoint> findBySha256(String sha256) {
    return jdbc.sql("select " + SELECTED + " from checkpoint where sha256 = ?")
        .param(sha256)
        .query((rs, n) -> map(rs))
        .optional();
  }

  boolean exists(UUID id) {
    return jdbc.sql("select exists (select 1 from checkpoint where id = ?)")
        .param(id)
        .query(Boolean.class)
        .single();
  }

  boolean existsBySha256(String sha256) {
    return jdbc.sql(
            "select exists (select 1 from checkpoint where sha256 = ?)"
                + " or exists (select 1 from checkpoint_shard where sha256 = ?)")
        .params(sha256, sha256)
        .query(Boolean.class)
        .single();
  }

  /** The torch module versions stored beside a checkpoint's state dict, by module. */
  Optional<Map<String, Long>> moduleVersions(UUID id) {
    return jdbc.sql("select module_versions from checkpoint where id = ?")
        .param(id)
        .query(String.class)
        .optional()
        .map(text -> json.readValue(text, new TypeReference<Map<String, Long>>() {}));
  }

  /**
   * A page of checkpoints, newest first (ties by id), optionally only those whose name contains
   * {@code q}, ignoring case; LIKE wildcards in {@code q} are literal.
   */
  List<Checkpoint> page(String q, long offset, int limit) {
    return jdbc.sql(
            "select "
                + SELECTED
                + " from checkpoint"
                + nameFilter(q)
                + " order by created_at desc, id offset ? limit ?")
        .params(nameParams(q, offset, limit))
        .query((rs, n) -> map(rs))
        .list();
  }

  /** How many checkpoints {@link #page} pages through. */
  long count(String q) {
    return jdbc.sql("select count(*) from checkpoint" + nameFilter(q))
        .params(nameParams(q))
        .query(Long.class)
        .single();
  }

  /**
   * Locks a checkpoint's row for deletion until the transaction ends ({@code FOR UPDATE}): a run or
   * version that pins it meanwhile waits, then finds it gone.
   *
   * @return its SHA-256, or empty when there is no such checkpoint
   */
  /** The blobs of a sharded checkpoint's files; empty for one file. */
  List<String> shardSha256s(UUID id) {
    return jdbc.sql("select distinct sha256 from checkpoint_shard where checkpoint_id = ?")
        .param(id)
        .query(String.class)
        .list();
  }

  Optional<String> lockForDelete(UUID id) {
    return jdbc.sql("select sha256 from checkpoint where id = ? for update")
        .param(id)
        .query(String.class)
        .optional();
  }

  /**
   * Locks a checkpoint's row against deletion until the transaction ends ({@code FOR KEY SHARE}: a
   * delete's {@code FOR UPDATE} waits for it; readers and other pins do not).
   *
   * @return whether it exists
   */
  boolean lockAgainstDelete(UUID id) {
    return !jdbc.sql("select 1 from checkpoint where id = ? for key share")
        .param(id)
        .query(Integer.class)
        .list()
        .isEmpty();
  }

  /** Deletes a checkpoint's row; its tensor rows go with it (on delete cascade). */
  void delete(UUID id) {
    jdbc.sql("delete from checkpoint where id = ?").param(id).update();
  }

  /** Inserts the index of one checkpoint, in file order. */
  void insertTensors(UUID checkpointId, List<TensorInfo> tensors) {
    String sql =
        "insert into checkpoint_tensor (checkpoint_id, ordinal, numel, byte_start, byte_end, "
            + TENSOR_COLUMNS
            + ") values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    JdbcBatches.insert(
        batches,
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
  List<TensorInfo> tensorPage(UUID checkpointId, String prefix, long offset, int limit) {
    return jdbc.sql(
            "select "
                + TENSOR_SELECT
                + " from checkpoint_tensor where checkpoint_id = ? and tensor_key like ? escape '\\'"
                + " order by ordinal offset ? limit ?")
        .params(checkpointId, likeEscape(prefix == null ? "" : prefix) + "%", offset, limit)
        .query((rs, n) -> mapTensor(rs))
        .list();
  }

  /** How many of a checkpoint's tensors start with a prefix. */
  long tensorCount(UUID checkpointId, String prefix) {
    return jdbc.sql(
            "select count(*) from checkpoint_tensor where checkpoint_id = ? and tensor_key like ? escape '\\'")
        .params(checkpointId, likeEscape(prefix == null ? "" : prefix) + "%")
        .query(Long.class)
        .single();
  }

  /** The whole index of a checkpoint, in file order. */
  List<TensorInfo> tensors(UUID checkpointId) {
    return jdbc.sql(
            "select "
                + TENSOR_SELECT
                + " from checkpoint_tensor where checkpoint_id = ? order by ordinal")
        .param(checkpointId)
        .query((rs, n) -> mapTensor(rs))
        .list();
  }

  private static String nameFilter(String q) {
    return q == null || q.isBlank() ? "" : " where upper(name) like upper(?) escape '\\'";
  }

  private static List<Object> nameParams(String q, Object... more) {
    List<Object> params = new ArrayList<>();
    if (q != null && !q.isBlank()) {
      params.add("%" + likeEscape(q) + "%");
    }
    params.addAll(List.of(more));
    return params;
  }

  private static String likeEscape(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private Checkpoint map(ResultSet rs) throws SQLException {
    return new Checkpoint(
        rs.getObject("id", UUID.class),
        rs.getString("name"),
        rs.getString("sha256"),
        rs.getLong("size_bytes"),
        format(rs.getString("format")),
        rs.getString("state_dict_path"),
        rs.getInt("tensor_count"),
        rs.getLong("numel"),
        json.readValue(rs.getString("dtypes"), new TypeReference<Map<String, Long>>() {}),
        json.readValue(rs.getString("metadata"), new TypeReference<Map<String, Object>>() {}),
        rs.getTimestamp("created_at").toInstant(),
        rs.getString("shards") == null
            ? List.of()
            : json.readValue(
                rs.getString("shards"), new TypeReference<List<Checkpoint.Shard>>() {}));
  }

  /** Records a sharded checkpoint's files, in order (the index first). */
  void insertShards(UUID checkpointId, List<Checkpoint.Shard> files) {
    for (int i = 0; i < files.size(); i++) {
      Checkpoint.Shard f = files.get(i);
      jdbc.sql(
              "insert into checkpoint_shard (checkpoint_id, position, file_name, sha256, size_bytes)"
                  + " values (?,?,?,?,?)")
          .params(checkpointId, i, f.fileName(), f.sha256(), f.sizeBytes())
          .update();
    }
  }

  private static CheckpointFormat format(String wireName) {
    for (CheckpointFormat f : CheckpointFormat.values()) {
      if (f.wireName().equals(wireName)) {
        return f;
      }
    }
    throw new IllegalStateException("unknown checkpoint format in the database: " + wireName);
  }

  private static TensorInfo mapTensor(ResultSet rs) throws SQLException {
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
