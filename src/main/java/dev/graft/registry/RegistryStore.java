package dev.graft.registry;

import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import dev.graft.shared.DeletionVeto;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The registry tables: {@code model} (with its version counter), {@code model_version}, {@code
 * model_artifact} and {@code model_alias}.
 *
 * <p>Graft's persistence style: each feature keeps its SQL in one package-private store on Spring's
 * {@link JdbcClient}, with explicit SQL, rows mapped by hand to the feature's records, and JSON
 * columns (de)serialised here. Transactions, isolation and the order in which rows are locked
 * belong to the service that calls it; the store joins them. A page is read with a fixed number of
 * statements whatever its size: its rows, then the artifacts and aliases of all of them at once.
 */
@Repository
class RegistryStore {

  private final JdbcClient jdbc;
  private final JsonMapper json;

  RegistryStore(JdbcClient jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  // ---- models

  /**
   * Takes a model's next version number, creating the model (with version 1) unless it exists, in
   * one statement. The model's row stays locked until the transaction ends, which serialises
   * registrations per model; a model deleted meanwhile is created again, never left half there.
   */
  int nextVersion(String model, Instant now) {
    return jdbc.sql(
            "insert into model (name, created_at, last_version) values (?, ?, 1)"
                + " on conflict (name) do update set last_version = model.last_version + 1"
                + " returning last_version")
        .params(model, Timestamp.from(now))
        .query(Integer.class)
        .single();
  }

  boolean modelExists(String name) {
    return jdbc.sql("select exists (select 1 from model where name = ?)")
        .param(name)
        .query(Boolean.class)
        .single();
  }

  /** How many models {@link #models} pages through. */
  long countModels(String q, List<TagFilter> tags) {
    Filter f = modelFilter(q, tags);
    return jdbc.sql("select count(*) from model m" + f.where())
        .params(f.params())
        .query(Long.class)
        .single();
  }

  /**
   * A page of models by name, optionally those whose name contains {@code q} (case-insensitive,
   * LIKE wildcards literal) and those with a version carrying every tag; two statements.
   */
  List<Model> models(String q, List<TagFilter> tags, long offset, int limit) {
    Filter f = modelFilter(q, tags);
    List<Object> params = new ArrayList<>(f.params());
    params.add(offset);
    params.add(limit);
    return withAliases(
        jdbc.sql(MODEL_SELECT + f.where() + " order by m.name offset ? limit ?")
            .params(params)
            .query((rs, n) -> mapModel(rs))
            .list());
  }

  /** A model by name; two statements. */
  Optional<Model> model(String name) {
    return withAliases(
            jdbc.sql(MODEL_SELECT + " where m.name = ?")
                .param(name)
                .query((rs, n) -> mapModel(rs))
                .list())
        .stream()
        .findFirst();
  }

  /**
   * Locks a model's row until the transaction ends ({@code FOR UPDATE}): registrations, edits and
   * deletes of the model wait for it.
   *
   * @return whether the model exists
   */
  boolean lockModel(String name) {
    return !jdbc.sql("select 1 from model where name = ? for update")
        .param(name)
        .query(Integer.class)
        .list()
        .isEmpty();
  }

  /**
   * Sets a model's description when {@code changes} gives one, and replaces its tags when it gives
   * them.
   *
   * @return whether the model exists
   */
  boolean updateModel(String name, MetadataChanges changes) {
    return jdbc.sql(
                "update model set"
                    + " description = case when ? then ? else description end,"
                    + " tags = coalesce(cast(? as jsonb), tags)"
                    + " where name = ?")
            .params(
                changes.descriptionGiven(),
                changes.description(),
                changes.tags() == null
                    ? null
                    : json.writeValueAsString(new TreeMap<>(changes.tags())),
                name)
            .update()
        > 0;
  }

  /** Deletes a model's row; its versions must be gone (they reference it). */
  void deleteModel(String name) {
    jdbc.sql("delete from model where name = ?").param(name).update();
  }

  private static final String MODEL_SELECT =
      "select m.name, m.description, m.tags, m.created_at,"
          + " (select max(v.version) from model_version v where v.model_name = m.name) as latest,"
          + " (select count(*) from model_version v where v.model_name = m.name) as versions"
          + " from model m";

  private Filter modelFilter(String q, List<TagFilter> tags) {
    StringBuilder where = new StringBuilder(" where true");
    List<Object> params = new ArrayList<>();
    if (q != null && !q.isBlank()) {
      where.append(" and m.name ilike ? escape '\\'");
      params.add("%" + likeEscape(q) + "%");
    }
    for (TagFilter t : tags) {
      where.append(
          " and exists (select 1 from model_version v where v.model_name = m.name"
              + " and v.tags @> cast(? as jsonb))");
      params.add(tagJson(t));
    }
    return new Filter(where.toString(), params);
  }

  /** The models with their aliases, read for all of them in one statement. */
  private List<Model> withAliases(List<Model> models) {
    if (models.isEmpty()) {
      return models;
    }
    Map<String, Map<String, Integer>> aliases = new HashMap<>();
    jdbc.sql(
            "select model_name, alias, version from model_alias where model_name = any(?)"
                + " order by model_name, alias")
        .param(models.stream().map(Model::name).toArray(String[]::new))
        .query(
            (rs, n) ->
                aliases
                    .computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
                    .put(rs.getString(2), rs.getInt(3)))
        .list();
    return models.stream()
        .map(
            m ->
                new Model(
                    m.name(),
                    m.description(),
                    m.tags(),
                    m.createdAt(),
                    m.latestVersion(),
                    m.versionCount(),
                    aliases.getOrDefault(m.name(), new LinkedHashMap<>())))
        .toList();
  }

  private Model mapModel(ResultSet rs) throws SQLException {
    return new Model(
        rs.getString("name"),
        rs.getString("description"),
        json.readValue(rs.getString("tags"), new TypeReference<Map<String, String>>() {}),
        rs.getTimestamp("created_at").toInstant(),
        (Integer) rs.getObject("latest"),
        rs.getLong("versions"),
        Map.of());
  }

  // ---- versions

  /** Inserts a version with its artifacts. */
  void insertVersion(NewVersion v, int version, Instant now) {
    jdbc.sql(
            "insert into model_version (model_name, version, created_at, description, tags, run_id,"
                + " checkpoint_id, checkpoint_sha256, architecture_id, options, summary, sources)"
                + " values (?,?,?,?,cast(? as jsonb),?,?,?,?,?,?,cast(? as jsonb))")
        .params(
            v.model(),
            version,
            Timestamp.from(now),
            v.description(),
            json.writeValueAsString(v.tags() == null ? Map.of() : v.tags()),
            v.runId(),
            v.lineage().checkpointId(),
            v.lineage().checkpointSha256(),
            v.lineage().architectureId(),
            json.writeValueAsString(v.lineage().options()),
            json.writeValueAsString(v.summary()),
            // Null for one checkpoint, as every version stored before: its lineage is the columns.
            v.lineage().hasSources() ? json.writeValueAsString(v.lineage().sources()) : null)
        .update();
    for (ModelVersion.Artifact a : v.artifacts()) {
      jdbc.sql(
              "insert into model_artifact (model_name, version, format, sha256, size_bytes)"
                  + " values (?,?,?,?,?)")
          .params(v.model(), version, a.format().wireName(), a.sha256(), a.sizeBytes())
          .update();
      for (int i = 0; i < a.shards().size(); i++) {
        ModelVersion.Shard s = a.shards().get(i);
        jdbc.sql(
                "insert into model_artifact_shard (model_name, version, format, position,"
                    + " file_name, sha256, size_bytes) values (?,?,?,?,?,?,?)")
            .params(
                v.model(),
                version,
                a.format().wireName(),
                i,
                s.fileName(),
                s.sha256(),
                s.sizeBytes())
            .update();
      }
    }
  }

  /** A version with its artifacts and aliases; three statements. */
  Optional<ModelVersion> version(String model, int version) {
    return withDetails(
            model,
            jdbc.sql("select * from model_version where model_name = ? and version = ?")
                .params(model, version)
                .query((rs, n) -> mapVersion(rs))
                .list())
        .stream()
        .findFirst();
  }

  /** How many of a model's versions {@link #versions} pages through. */
  long countVersions(String model, List<TagFilter> tags) {
    Filter f = versionFilter(model, tags);
    return jdbc.sql("select count(*) from model_version" + f.where())
        .params(f.params())
        .query(Long.class)
        .single();
  }

  /**
   * A page of a model's versions, newest first, optionally those carrying every tag, with their
   * artifacts and aliases; three statements.
   */
  List<ModelVersion> versions(String model, List<TagFilter> tags, long offset, int limit) {
    Filter f = versionFilter(model, tags);
    List<Object> params = new ArrayList<>(f.params());
    params.add(offset);
    params.add(limit);
    return withDetails(
        model,
        jdbc.sql(
                "select * from model_version"
                    + f.where()
                    + " order by version desc offset ? limit ?")
            .params(params)
            .query((rs, n) -> mapVersion(rs))
            .list());
  }

  private Filter versionFilter(String model, List<TagFilter> tags) {
    StringBuilder where = new StringBuilder(" where model_name = ?");
    List<Object> params = new ArrayList<>(List.of(model));
    for (TagFilter t : tags) {
      where.append(" and tags @> cast(? as jsonb)");
      params.add(tagJson(t));
    }
    return new Filter(where.toString(), params);
  }

  /**
   * Locks a version's row against deletion until the transaction ends ({@code FOR KEY SHARE}: a
   * concurrent delete, which takes {@code FOR UPDATE}, waits for it).
   *
   * @return whether the version exists
   */
  boolean lockVersionAgainstDelete(String model, int version) {
    return !jdbc.sql(
            "select 1 from model_version where model_name = ? and version = ? for key share")
        .params(model, version)
        .query(Integer.class)
        .list()
        .isEmpty();
  }

  /**
   * Locks a version's row for an edit or a deletion until the transaction ends ({@code FOR UPDATE}:
   * an alias move to it waits, then finds it changed or gone).
   *
   * @return whether the version exists
   */
  boolean lockVersionForUpdate(String model, int version) {
    return !jdbc.sql("select 1 from model_version where model_name = ? and version = ? for update")
        .params(model, version)
        .query(Integer.class)
        .list()
        .isEmpty();
  }

  /** The SHA-256s of a version's artifacts. */
  List<String> artifactSha256s(String model, int version) {
    return jdbc.sql(
            "select sha256 from model_artifact where model_name = ? and version = ?"
                + " union select sha256 from model_artifact_shard where model_name = ? and version = ?")
        .params(model, version, model, version)
        .query(String.class)
        .list();
  }

  /** Whether any version has an artifact with these bytes. */
  boolean artifactExists(String sha256) {
    return jdbc.sql(
            "select exists (select 1 from model_artifact where sha256 = ?)"
                + " or exists (select 1 from model_artifact_shard where sha256 = ?)")
        .params(sha256, sha256)
        .query(Boolean.class)
        .single();
  }

  /** Deletes a version; its artifact rows go with it (on delete cascade). */
  void deleteVersion(String model, int version) {
    jdbc.sql("delete from model_version where model_name = ? and version = ?")
        .params(model, version)
        .update();
  }

  /**
   * Sets a version's description when {@code changes} gives one, and replaces its tags when it
   * gives them.
   *
   * @return whether the version exists
   */
  boolean updateVersion(String model, int version, MetadataChanges changes) {
    return jdbc.sql(
                "update model_version set"
                    + " description = case when ? then ? else description end,"
                    + " tags = coalesce(cast(? as jsonb), tags)"
                    + " where model_name = ? and version = ?")
            .params(
                changes.descriptionGiven(),
                changes.description(),
                changes.tags() == null
                    ? null
                    : json.writeValueAsString(new TreeMap<>(changes.tags())),
                model,
                version)
            .update()
        > 0;
  }

  /**
   * Up to {@code limit} versions whose lineage names a checkpoint or an architecture, as {@code
   * "model version n"}, by model and number.
   */
  List<String> versionsDescendingFrom(DeletionVeto.ResourceKind kind, UUID id, int limit) {
    String column =
        switch (kind) {
          case CHECKPOINT -> "checkpoint_id";
          case ARCHITECTURE -> "architecture_id";
        };
    // A checkpoint may also be any of a version's sources.
    String sources =
        kind == DeletionVeto.ResourceKind.CHECKPOINT ? "[{\"checkpointId\":\"" + id + "\"}]" : null;
    return jdbc.sql(
            "select model_name || ' version ' || version from model_version where "
                + column
                + " = ? or sources @> cast(? as jsonb) order by model_name, version limit ?")
        .params(id, sources, limit)
        .query(String.class)
        .list();
  }

  /** The versions with their artifacts and aliases, read for all of them in two statements. */
  private List<ModelVersion> withDetails(String model, List<ModelVersion> versions) {
    if (versions.isEmpty()) {
      return versions;
    }
    Integer[] numbers = versions.stream().map(ModelVersion::version).toArray(Integer[]::new);
    Map<Integer, List<ModelVersion.Artifact>> artifacts = new HashMap<>();
    jdbc.sql(
            "select a.version, a.format, a.sha256, a.size_bytes, (select json_agg(json_build_object("
                + "'fileName', s.file_name, 'sha256', s.sha256, 'sizeBytes', s.size_bytes)"
                + " order by s.position) from model_artifact_shard s where s.model_name = a.model_name"
                + " and s.version = a.version and s.format = a.format) as shards"
                + " from model_artifact a"
                + " where a.model_name = ? and a.version = any(?) order by a.version, a.format")
        .params(model, numbers)
        .query(
            (rs, n) ->
                artifacts
                    .computeIfAbsent(rs.getInt(1), k -> new ArrayList<>())
                    .add(
                        new ModelVersion.Artifact(
                            format(rs.getString(2)),
                            rs.getString(3),
                            rs.getLong(4),
                            rs.getString(5) == null
                                ? List.of()
                                : json.readValue(
                                    rs.getString(5),
                                    new TypeReference<List<ModelVersion.Shard>>() {}))))
        .list();
    Map<Integer, List<String>> aliases = new HashMap<>();
    jdbc.sql(
            "select version, alias from model_alias"
                + " where model_name = ? and version = any(?) order by version, alias")
        .params(model, numbers)
        .query(
            (rs, n) ->
                aliases.computeIfAbsent(rs.getInt(1), k -> new ArrayList<>()).add(rs.getString(2)))
        .list();
    return versions.stream()
        .map(
            v ->
                new ModelVersion(
                    v.model(),
                    v.version(),
                    v.createdAt(),
                    v.description(),
                    v.tags(),
                    aliases.getOrDefault(v.version(), new ArrayList<>()),
                    v.runId(),
                    v.lineage(),
                    v.summary(),
                    artifacts.getOrDefault(v.version(), new ArrayList<>())))
        .toList();
  }

  private ModelVersion mapVersion(ResultSet rs) throws SQLException {
    return new ModelVersion(
        rs.getString("model_name"),
        rs.getInt("version"),
        rs.getTimestamp("created_at").toInstant(),
        rs.getString("description"),
        json.readValue(rs.getString("tags"), new TypeReference<Map<String, String>>() {}),
        List.of(),
        rs.getObject("run_id", UUID.class),
        new ModelVersion.Lineage(
            rs.getObject("checkpoint_id", UUID.class),
            rs.getString("checkpoint_sha256"),
            rs.getObject("architecture_id", UUID.class),
            json.readValue(rs.getString("options"), LoadOptions.class),
            rs.getString("sources") == null
                ? null
                : json.readValue(
                    rs.getString("sources"), new TypeReference<List<ModelVersion.Source>>() {})),
        json.readValue(rs.getString("summary"), Report.Summary.class),
        List.of());
  }

  // ---- aliases

  /** The version an alias points at. */
  Optional<Integer> aliasTarget(String model, String alias) {
    return jdbc.sql("select version from model_alias where model_name = ? and alias = ?")
        .params(model, alias)
        .query(Integer.class)
        .optional();
  }

  /** The aliases that point at a version, by name. */
  List<String> aliasesOf(String model, int version) {
    return jdbc.sql(
            "select alias from model_alias where model_name = ? and version = ? order by alias")
        .params(model, version)
        .query(String.class)
        .list();
  }

  /** Points an alias at a version, creating it or moving it in one statement. */
  void upsertAlias(String model, String alias, int version) {
    jdbc.sql(
            "insert into model_alias (model_name, alias, version) values (?,?,?)"
                + " on conflict (model_name, alias) do update set version = excluded.version")
        .params(model, alias, version)
        .update();
  }

  /**
   * Deletes an alias.
   *
   * @return whether it existed
   */
  boolean deleteAlias(String model, String alias) {
    return jdbc.sql("delete from model_alias where model_name = ? and alias = ?")
            .params(model, alias)
            .update()
        > 0;
  }

  private record Filter(String where, List<Object> params) {}

  private static ArtifactFormat format(String name) {
    return ArtifactFormat.byName(name)
        .orElseThrow(
            () -> new IllegalStateException("unknown artifact format in the registry: " + name));
  }

  private String tagJson(TagFilter t) {
    return json.writeValueAsString(Map.of(t.key(), t.value()));
  }

  private static String likeEscape(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
