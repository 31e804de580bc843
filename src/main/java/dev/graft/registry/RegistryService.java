package dev.graft.registry;

import dev.graft.architecture.ArchitectureDeleting;
import dev.graft.checkpoint.CheckpointDeleting;
import dev.graft.shared.BadRequest;
import dev.graft.shared.BlobGc;
import dev.graft.shared.Conflict;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.UnprocessableReference;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model registry: named models with immutable numbered versions, their artifacts, aliases and
 * lineage. Versions are registered by successful runs; the API reads them, moves aliases, edits a
 * version's description and tags, and deletes versions (their artifacts' blobs are collected once
 * no row names them).
 *
 * <p>Lists read their page and their total in one repeatable-read snapshot, so a version registered
 * meanwhile never makes the two disagree.
 */
@Service
public class RegistryService {

  /** Alias names: what the run API accepts for {@code output.aliases}. */
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int MAX_TAGS = 100;
  private static final int MAX_TAG_KEY = 255;
  private static final int MAX_TAG_VALUE = 4096;

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final BlobGc gc;

  RegistryService(JdbcClient jdbc, TransactionTemplate tx, BlobGc gc) {
    this.jdbc = jdbc;
    this.tx = tx;
    this.gc = gc;
  }

  /**
   * Registers the next version of a model, in the caller's transaction (a run registers its version
   * and records its success atomically). Version numbers are never reused, even after deletions.
   *
   * @return the registered version
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public ModelVersion register(NewVersion v) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    jdbc.sql("insert into model (name, created_at) values (?, ?) on conflict (name) do nothing")
        .params(v.model(), Timestamp.from(now))
        .update();
    // The counter's row lock serialises registrations per model until this transaction ends.
    int version =
        jdbc.sql(
                "update model set last_version = last_version + 1 where name = ? returning last_version")
            .param(v.model())
            .query(Integer.class)
            .single();
    jdbc.sql(
            "insert into model_version (model_name, version, created_at, description, tags, run_id,"
                + " checkpoint_id, checkpoint_sha256, architecture_id, options, summary)"
                + " values (?,?,?,?,cast(? as jsonb),?,?,?,?,?,?)")
        .params(
            v.model(),
            version,
            Timestamp.from(now),
            v.description(),
            JSON.writeValueAsString(v.tags() == null ? Map.of() : v.tags()),
            v.runId(),
            v.lineage().checkpointId(),
            v.lineage().checkpointSha256(),
            v.lineage().architectureId(),
            JSON.writeValueAsString(v.lineage().options()),
            v.summaryJson())
        .update();
    for (ModelVersion.Artifact a : v.artifacts()) {
      jdbc.sql(
              "insert into model_artifact (model_name, version, format, sha256, size_bytes)"
                  + " values (?,?,?,?,?)")
          .params(v.model(), version, a.format(), a.sha256(), a.sizeBytes())
          .update();
    }
    for (String alias : v.aliases() == null ? List.<String>of() : v.aliases()) {
      upsertAlias(v.model(), alias, version);
    }
    return get(v.model(), version);
  }

  /**
   * Models by name, optionally those whose name contains {@code q} (case-insensitive) and those
   * with at least one version carrying every given tag. Throws nothing of its own: filters are
   * parsed by {@link TagFilter#parse} and paging checked by {@link PageRequest}.
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<Model> models(String q, List<TagFilter> tags, PageRequest page) {
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
    long total =
        jdbc.sql("select count(*) from model m" + where).params(params).query(Long.class).single();
    List<Object> pageParams = new ArrayList<>(params);
    pageParams.add(page.offset());
    pageParams.add(page.size());
    List<String> names =
        jdbc.sql("select m.name from model m" + where + " order by m.name offset ? limit ?")
            .params(pageParams)
            .query(String.class)
            .list();
    List<Model> items = new ArrayList<>();
    for (String name : names) {
      items.add(loadModel(name));
    }
    return new PageResponse<>(items, page.page(), page.size(), total);
  }

  /**
   * A model: its version count, latest version and aliases.
   *
   * @throws ModelVersionNotFound when it does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public Model model(String name) {
    requireModel(name);
    return loadModel(name);
  }

  /**
   * A version.
   *
   * @throws ModelVersionNotFound when the model or the version does not exist
   */
  @Transactional(readOnly = true)
  public ModelVersion get(String model, int version) {
    List<ModelVersion> found =
        jdbc.sql("select * from model_version where model_name = ? and version = ?")
            .params(model, version)
            .query((rs, n) -> map(rs))
            .list();
    if (found.isEmpty()) {
      requireModel(model);
      throw ModelVersionNotFound.forVersion(model, version);
    }
    return found.get(0);
  }

  /**
   * A model's versions, newest first, optionally only those carrying every given tag.
   *
   * @throws ModelVersionNotFound when the model does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<ModelVersion> versions(String model, List<TagFilter> tags, PageRequest page) {
    requireModel(model);
    StringBuilder where = new StringBuilder(" where model_name = ?");
    List<Object> params = new ArrayList<>(List.of(model));
    for (TagFilter t : tags) {
      where.append(" and tags @> cast(? as jsonb)");
      params.add(tagJson(t));
    }
    long total =
        jdbc.sql("select count(*) from model_version" + where)
            .params(params)
            .query(Long.class)
            .single();
    List<Object> pageParams = new ArrayList<>(params);
    pageParams.add(page.offset());
    pageParams.add(page.size());
    List<ModelVersion> items =
        jdbc.sql("select * from model_version" + where + " order by version desc offset ? limit ?")
            .params(pageParams)
            .query((rs, n) -> map(rs))
            .list();
    return new PageResponse<>(items, page.page(), page.size(), total);
  }

  /**
   * One artifact of a version.
   *
   * @throws ModelVersionNotFound when the model, the version or the artifact does not exist
   */
  @Transactional(readOnly = true)
  public ModelVersion.Artifact artifact(String model, int version, String format) {
    ModelVersion v = get(model, version);
    return v.artifacts().stream()
        .filter(a -> a.format().equals(format))
        .findFirst()
        .orElseThrow(() -> ModelVersionNotFound.forArtifact(model, version, format));
  }

  /**
   * The version an alias points at.
   *
   * @throws ModelVersionNotFound when the model or the alias does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public ModelVersion alias(String model, String alias) {
    List<Integer> version =
        jdbc.sql("select version from model_alias where model_name = ? and alias = ?")
            .params(model, alias)
            .query(Integer.class)
            .list();
    if (version.isEmpty()) {
      requireModel(model);
      throw ModelVersionNotFound.forAlias(model, alias);
    }
    return get(model, version.get(0));
  }

  /**
   * Points an alias at a version, creating it or moving it from another version in one statement
   * (two concurrent moves leave it at one of the two).
   *
   * <p>An unknown version is {@code 422}, not {@code 404}: it is a reference in the request body,
   * as unknown ids in bodies are everywhere in the API; the path (model, alias) is what must exist
   * or be created.
   *
   * @return the version the alias now points at
   * @throws BadRequest (field {@code alias}) when the alias name is invalid, (field {@code
   *     version}) when no version is given
   * @throws ModelVersionNotFound when the model does not exist
   * @throws UnprocessableReference (field {@code version}) when the model has no such version
   */
  public ModelVersion moveAlias(String model, String alias, Integer version) {
    checkAlias(alias);
    if (version == null) {
      throw new BadRequest("version", "is required: the version number the alias should point at");
    }
    try {
      return tx.execute(
          status -> {
            requireModel(model);
            // KEY SHARE: a concurrent delete of this version waits for us, then sees the alias.
            boolean exists =
                !jdbc.sql(
                        "select 1 from model_version where model_name = ? and version = ? for key share")
                    .params(model, version)
                    .query(Integer.class)
                    .list()
                    .isEmpty();
            if (!exists) {
              throw unknownVersion(model, version);
            }
            upsertAlias(model, alias, version);
            return get(model, version);
          });
    } catch (DataIntegrityViolationException e) {
      // The version was deleted between our check and the insert's foreign-key check.
      throw unknownVersion(model, version);
    }
  }

  /**
   * Deletes an alias; the version it pointed at stays.
   *
   * @throws ModelVersionNotFound when the model or the alias does not exist
   */
  @Transactional
  public void deleteAlias(String model, String alias) {
    int deleted =
        jdbc.sql("delete from model_alias where model_name = ? and alias = ?")
            .params(model, alias)
            .update();
    if (deleted == 0) {
      requireModel(model);
      throw ModelVersionNotFound.forAlias(model, alias);
    }
  }

  /**
   * Sets a version's description and/or replaces its tags; everything else about a version is
   * immutable.
   *
   * @return the version as it now is
   * @throws BadRequest (field {@code tags}) when there are too many tags or one is too long
   * @throws ModelVersionNotFound when the model or the version does not exist
   */
  @Transactional
  public ModelVersion update(String model, int version, VersionChanges changes) {
    checkDescription("description", changes.description());
    checkTags(changes.tags());
    int updated =
        jdbc.sql(
                "update model_version set"
                    + " description = case when ? then ? else description end,"
                    + " tags = coalesce(cast(? as jsonb), tags)"
                    + " where model_name = ? and version = ?")
            .params(
                changes.descriptionGiven(),
                changes.description(),
                changes.tags() == null
                    ? null
                    : JSON.writeValueAsString(new TreeMap<>(changes.tags())),
                model,
                version)
            .update();
    if (updated == 0) {
      requireModel(model);
      throw ModelVersionNotFound.forVersion(model, version);
    }
    return get(model, version);
  }

  /**
   * Deletes a version and its artifact rows, then collects the artifacts' blobs that no other row
   * names. The model itself stays (with its aliases and version counter), so its numbers are never
   * handed out again.
   *
   * @throws ModelVersionNotFound when the model or the version does not exist
   * @throws Conflict when an alias points at the version (the detail names the aliases)
   */
  public void delete(String model, int version) {
    List<String> shas =
        tx.execute(
            status -> {
              // FOR UPDATE: an alias move to this version waits, then finds it gone.
              boolean exists =
                  !jdbc.sql(
                          "select 1 from model_version where model_name = ? and version = ? for update")
                      .params(model, version)
                      .query(Integer.class)
                      .list()
                      .isEmpty();
              if (!exists) {
                requireModel(model);
                throw ModelVersionNotFound.forVersion(model, version);
              }
              List<String> aliases =
                  jdbc.sql(
                          "select alias from model_alias where model_name = ? and version = ? order by alias")
                      .params(model, version)
                      .query(String.class)
                      .list();
              if (!aliases.isEmpty()) {
                throw new Conflict(
                    "model '"
                        + model
                        + "' version "
                        + version
                        + " is what alias"
                        + (aliases.size() == 1 ? " '" : "es '")
                        + String.join("', '", aliases)
                        + "' point"
                        + (aliases.size() == 1 ? "s" : "")
                        + " at; move or delete "
                        + (aliases.size() == 1 ? "it" : "them")
                        + " first");
              }
              List<String> artifacts =
                  jdbc.sql(
                          "select distinct sha256 from model_artifact where model_name = ? and version = ?")
                      .params(model, version)
                      .query(String.class)
                      .list();
              jdbc.sql("delete from model_version where model_name = ? and version = ?")
                  .params(model, version)
                  .update();
              return artifacts;
            });
    // After commit: the collector must see the rows gone (it keeps blobs other rows still name).
    for (String sha : shas) {
      gc.collect(sha);
    }
  }

  @EventListener
  void refuseDeletingLineage(CheckpointDeleting event) {
    refuseLineage("checkpoint_id", "checkpoint", event.id());
  }

  @EventListener
  void refuseDeletingLineage(ArchitectureDeleting event) {
    refuseLineage("architecture_id", "architecture", event.id());
  }

  private void refuseLineage(String column, String what, UUID id) {
    List<String> users =
        jdbc.sql(
                "select model_name || ' version ' || version from model_version where "
                    + column
                    + " = ?"
                    + " order by model_name, version limit 3")
            .param(id)
            .query(String.class)
            .list();
    if (!users.isEmpty()) {
      throw new Conflict(
          what
              + " "
              + id
              + " is the lineage of model "
              + String.join(", ", users)
              + "; delete those versions first");
    }
  }

  private void upsertAlias(String model, String alias, int version) {
    jdbc.sql(
            "insert into model_alias (model_name, alias, version) values (?,?,?)"
                + " on conflict (model_name, alias) do update set version = excluded.version")
        .params(model, alias, version)
        .update();
  }

  private void requireModel(String model) {
    boolean exists =
        jdbc.sql("select exists (select 1 from model where name = ?)")
            .param(model)
            .query(Boolean.class)
            .single();
    if (!exists) {
      throw ModelVersionNotFound.forName(model);
    }
  }

  private Model loadModel(String name) {
    return jdbc.sql(
            "select m.name, m.created_at,"
                + " (select max(v.version) from model_version v where v.model_name = m.name) as latest,"
                + " (select count(*) from model_version v where v.model_name = m.name) as versions"
                + " from model m where m.name = ?")
        .param(name)
        .query(
            (rs, n) -> {
              Map<String, Integer> aliases = new LinkedHashMap<>();
              jdbc.sql("select alias, version from model_alias where model_name = ? order by alias")
                  .param(name)
                  .query((a, i) -> aliases.put(a.getString(1), a.getInt(2)))
                  .list();
              return new Model(
                  rs.getString("name"),
                  rs.getTimestamp("created_at").toInstant(),
                  (Integer) rs.getObject("latest"),
                  rs.getLong("versions"),
                  aliases);
            })
        .single();
  }

  private static UnprocessableReference unknownVersion(String model, int version) {
    return new UnprocessableReference("version", "model '" + model + "' has no version " + version);
  }

  private static void checkAlias(String alias) {
    if (alias == null || !ALIAS.matcher(alias).matches()) {
      throw new BadRequest(
          "alias",
          "must be 1-255 letters, digits, '.', '_' or '-', starting with a letter or digit; was '"
              + alias
              + "'");
    }
  }

  /** The longest description a model or version may carry. */
  public static final int MAX_DESCRIPTION = 10_000;

  /**
   * Checks a description a client gave: at most {@value #MAX_DESCRIPTION} characters.
   *
   * @throws BadRequest naming {@code field} otherwise
   */
  public static void checkDescription(String field, String description) {
    if (description != null && description.length() > MAX_DESCRIPTION) {
      throw new BadRequest(
          field, "must be at most " + MAX_DESCRIPTION + " characters, was " + description.length());
    }
  }

  /**
   * Checks tags a client gave: at most 100, keys of 1-255 characters, values of at most 4096.
   *
   * @throws BadRequest naming the offending tag otherwise
   */
  public static void checkTags(Map<String, String> tags) {
    if (tags == null) {
      return;
    }
    if (tags.size() > MAX_TAGS) {
      throw new BadRequest("tags", "must be at most " + MAX_TAGS + " tags, were " + tags.size());
    }
    for (Map.Entry<String, String> t : tags.entrySet()) {
      if (t.getKey().isEmpty() || t.getKey().length() > MAX_TAG_KEY) {
        throw new BadRequest(
            "tags",
            "keys must be 1-"
                + MAX_TAG_KEY
                + " characters, "
                + dev.graft.shared.Texts.quote(t.getKey())
                + " is not");
      }
      if (t.getValue() == null || t.getValue().length() > MAX_TAG_VALUE) {
        throw new BadRequest(
            "tags." + dev.graft.shared.Texts.quote(t.getKey()),
            "must be a string of at most " + MAX_TAG_VALUE + " characters");
      }
    }
  }

  private static String tagJson(TagFilter t) {
    return JSON.writeValueAsString(Map.of(t.key(), t.value()));
  }

  private static String likeEscape(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private ModelVersion map(ResultSet rs) throws SQLException {
    String model = rs.getString("model_name");
    int version = rs.getInt("version");
    List<ModelVersion.Artifact> artifacts =
        jdbc.sql(
                "select format, sha256, size_bytes from model_artifact where model_name = ? and version = ?"
                    + " order by format")
            .params(model, version)
            .query(
                (a, n) -> new ModelVersion.Artifact(a.getString(1), a.getString(2), a.getLong(3)))
            .list();
    List<String> aliases =
        jdbc.sql(
                "select alias from model_alias where model_name = ? and version = ? order by alias")
            .params(model, version)
            .query(String.class)
            .list();
    return new ModelVersion(
        model,
        version,
        rs.getTimestamp("created_at").toInstant(),
        rs.getString("description"),
        JSON.readValue(rs.getString("tags"), new TypeReference<Map<String, String>>() {}),
        new ArrayList<>(aliases),
        rs.getObject("run_id", UUID.class),
        new ModelVersion.Lineage(
            rs.getObject("checkpoint_id", UUID.class),
            rs.getString("checkpoint_sha256"),
            rs.getObject("architecture_id", UUID.class),
            JSON.readValue(rs.getString("options"), Object.class)),
        JSON.readValue(rs.getString("summary"), Object.class),
        artifacts);
  }
}
