package dev.graft.shared;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Inserts many rows with one prepared statement, in batches, for indexes of tens of thousands of
 * rows.
 */
public final class JdbcBatches {

  private static final int BATCH = 1000;

  /** Binds one row's parameters. */
  @FunctionalInterface
  public interface Binder<T> {
    /**
     * @param ps the statement
     * @param con its connection (for arrays)
     * @param ordinal the row's position in the list
     * @param row the row
     */
    void bind(PreparedStatement ps, Connection con, int ordinal, T row) throws SQLException;
  }

  private JdbcBatches() {}

  /** Runs {@code sql} once per row, in batches of a thousand. */
  public static <T> void insert(JdbcTemplate jdbc, String sql, List<T> rows, Binder<T> binder) {
    for (int from = 0; from < rows.size(); from += BATCH) {
      List<T> chunk = rows.subList(from, Math.min(rows.size(), from + BATCH));
      int base = from;
      jdbc.execute(
          (Connection con) -> {
            try (PreparedStatement ps = con.prepareStatement(sql)) {
              for (int i = 0; i < chunk.size(); i++) {
                binder.bind(ps, con, base + i, chunk.get(i));
                ps.addBatch();
              }
              ps.executeBatch();
            }
            return null;
          });
    }
  }
}
