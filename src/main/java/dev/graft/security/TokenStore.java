package dev.graft.security;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The token table's SQL; joins the caller's transaction. */
@Component
class TokenStore {

  /** A token's row. */
  record TokenRow(
      UUID id,
      String name,
      String prefix,
      byte[] sha256,
      Set<Scope> scopes,
      Instant createdAt,
      String createdBy,
      Instant expiresAt,
      Instant revokedAt,
      boolean bootstrap) {

    /** Whether the token is still accepted at this instant. */
    boolean liveAt(Instant now) {
      return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }

    /** The scopes in the order the API lists them. */
    List<Scope> scopeList() {
      return scopes.stream().sorted().toList();
    }

    /** What the API shows of it. */
    ApiToken toDto() {
      return new ApiToken(
          id,
          name,
          scopeList(),
          TokenSecrets.display(prefix),
          createdAt,
          createdBy,
          expiresAt,
          revokedAt);
    }
  }

  private static final String COLUMNS =
      "id, name, prefix, token_sha256, scopes, created_at, created_by, expires_at, revoked_at,"
          + " bootstrap";

  private final JdbcClient jdbc;

  TokenStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  void insert(TokenRow t) {
    jdbc.sql("insert into api_token (" + COLUMNS + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(
            t.id(),
            t.name(),
            t.prefix(),
            t.sha256(),
            t.scopeList().stream().map(Scope::wireName).collect(Collectors.joining(",")),
            Timestamp.from(t.createdAt()),
            t.createdBy(),
            t.expiresAt() == null ? null : Timestamp.from(t.expiresAt()),
            null,
            t.bootstrap())
        .update();
  }

  Optional<TokenRow> findByPrefix(String prefix) {
    return jdbc.sql("select " + COLUMNS + " from api_token where prefix = ?")
        .param(prefix)
        .query((rs, n) -> map(rs))
        .optional();
  }

  Optional<TokenRow> find(UUID id) {
    return jdbc.sql("select " + COLUMNS + " from api_token where id = ?")
        .param(id)
        .query((rs, n) -> map(rs))
        .optional();
  }

  boolean anyExists() {
    return jdbc.sql("select exists (select 1 from api_token)").query(Boolean.class).single();
  }

  long count() {
    return jdbc.sql("select count(*) from api_token").query(Long.class).single();
  }

  /** Newest first. */
  List<TokenRow> page(long offset, int limit) {
    return jdbc.sql(
            "select "
                + COLUMNS
                + " from api_token order by created_at desc, id desc limit ? offset ?")
        .params(limit, offset)
        .query((rs, n) -> map(rs))
        .list();
  }

  /**
   * Locks every live admin token until the transaction ends and returns their ids, so that two
   * revocations at once cannot both believe the other leaves an admin token behind.
   */
  List<UUID> lockLiveAdmins(Instant now) {
    return jdbc.sql(
            "select id from api_token where revoked_at is null"
                + " and (expires_at is null or expires_at > ?)"
                + " and ',' || scopes || ',' like '%,admin,%' order by id for update")
        .param(Timestamp.from(now))
        .query(UUID.class)
        .list();
  }

  /** Marks a token revoked; whether it was live. */
  boolean revoke(UUID id, Instant at) {
    return jdbc.sql("update api_token set revoked_at = ? where id = ? and revoked_at is null")
            .params(Timestamp.from(at), id)
            .update()
        == 1;
  }

  private static TokenRow map(ResultSet rs) throws SQLException {
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    Arrays.stream(rs.getString("scopes").split(","))
        .filter(s -> !s.isEmpty())
        .forEach(s -> scopes.add(Scope.fromWireName(s)));
    Timestamp expires = rs.getTimestamp("expires_at");
    Timestamp revoked = rs.getTimestamp("revoked_at");
    return new TokenRow(
        rs.getObject("id", UUID.class),
        rs.getString("name"),
        rs.getString("prefix"),
        rs.getBytes("token_sha256"),
        scopes,
        rs.getTimestamp("created_at").toInstant(),
        rs.getString("created_by"),
        expires == null ? null : expires.toInstant(),
        revoked == null ? null : revoked.toInstant(),
        rs.getBoolean("bootstrap"));
  }
}
