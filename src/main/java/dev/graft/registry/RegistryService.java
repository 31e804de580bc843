package dev.graft.registry;

import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model registry: named models with immutable numbered versions, their artifacts, aliases and
 * lineage. Versions are registered by successful runs; the rest of the registry API reads them.
 */
@Service
public class RegistryService {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final JdbcClient jdbc;

  RegistryService(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * Registers the next version of a model, in the caller's transaction (a run registers its version
   * and records its success atomically).
   *
   * @return the registered version
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public ModelVersion register(NewVersion v) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    jdbc.sql("insert into model (name, created_at) values (?, ?) on conflict (name) do nothing")
        .params(v.model(), Timestamp.from(now))
        .update();
    // The model row's lock serialises version numbers per model.
    jdbc.sql("select name from model where name = ? for update").param(v.model()).query(String.class).single();
    int version =
        jdbc.sql("select coalesce(max(version), 0) + 1 from model_version where model_name = ?")
            .param(v.model())
            .query(Integer.class)
            .single();
    jdbc.sql(
            "insert into model_version (model_name, version, created_at, description, tags, run_id, checkpoint_id,"
                + " checkpoint_sha256, architecture_id, options, summary) values (?,?,?,?,?,?,?,?,?,?,?)")
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
      jdbc.sql("insert into model_artifact (model_name, version, format, sha256, size_bytes) values (?,?,?,?,?)")
          .params(v.model(), version, a.format(), a.sha256(), a.sizeBytes())
          .update();
    }
    for (String alias : v.aliases() == null ? List.<String>of() : v.aliases()) {
      jdbc.sql(
              "insert into model_alias (model_name, alias, version) values (?,?,?)"
                  + " on conflict (model_name, alias) do update set version = excluded.version")
          .params(v.model(), alias, version)
          .update();
    }
    return get(v.model(), version);
  }

  /**
   * A version.
   *
   * @throws ModelVersionNotFound when there is none
   */
  public ModelVersion get(String model, int version) {
    List<ModelVersion> found =
        jdbc.sql("select * from model_version where model_name = ? and version = ?")
            .params(model, version)
            .query((rs, n) -> map(rs))
            .list();
    if (found.isEmpty()) {
      throw ModelVersionNotFound.forVersion(model, version);
    }
    return found.get(0);
  }

  /**
   * A model's versions, newest first.
   *
   * @throws ModelVersionNotFound when the model does not exist
   */
  public PageResponse<ModelVersion> versions(String model, PageRequest page) {
    long total = jdbc.sql("select count(*) from model_version where model_name = ?").param(model).query(Long.class).single();
    if (total == 0 && jdbc.sql("select count(*) from model where name = ?").param(model).query(Long.class).single() == 0) {
      throw ModelVersionNotFound.forName(model);
    }
    List<ModelVersion> items =
        jdbc.sql("select * from model_version where model_name = ? order by version desc offset ? limit ?")
            .params(model, page.offset(), page.size())
            .query((rs, n) -> map(rs))
            .list();
    return new PageResponse<>(items, page.page(), page.size(), total);
  }

  /**
   * One artifact of a version.
   *
   * @throws ModelVersionNotFound when the version or the artifact does not exist
   */
  public ModelVersion.Artifact artifact(String model, int version, String format) {
    ModelVersion v = get(model, version);
    return v.artifacts().stream()
        .filter(a -> a.format().equals(format))
        .findFirst()
        .orElseThrow(() -> ModelVersionNotFound.forArtifact(model, version, format));
  }

  @org.springframework.context.event.EventListener
  void refuseDeletingLineage(dev.graft.checkpoint.CheckpointDeleting event) {
    List<String> users =
        jdbc.sql("select model_name || ' version ' || version from model_version where checkpoint_id = ? order by model_name, version limit 3")
            .param(event.id())
            .query(String.class)
            .list();
    if (!users.isEmpty()) {
      throw new dev.graft.shared.Conflict(
          "checkpoint " + event.id() + " is the lineage of model " + String.join(", ", users) + "; delete those versions first");
    }
  }

  private ModelVersion map(ResultSet rs) throws SQLException {
    String model = rs.getString("model_name");
    int version = rs.getInt("version");
    List<ModelVersion.Artifact> artifacts =
        jdbc.sql("select format, sha256, size_bytes from model_artifact where model_name = ? and version = ? order by format")
            .params(model, version)
            .query((a, n) -> new ModelVersion.Artifact(a.getString(1), a.getString(2), a.getLong(3)))
            .list();
    List<String> aliases =
        jdbc.sql("select alias from model_alias where model_name = ? and version = ? order by alias")
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
