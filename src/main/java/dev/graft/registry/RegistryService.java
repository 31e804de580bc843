package dev.graft.registry;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.events.EventType;
import dev.graft.events.Outbox;
import dev.graft.security.AuditLog;
import dev.graft.shared.BlobGc;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.ResourceChanged;
import dev.graft.shared.StillInUse;
import dev.graft.shared.UnknownReference;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

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

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(RegistryService.class);

  /** Alias names: what the run API accepts for {@code output.aliases}. */
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");

  private static final int MAX_TAGS = 100;
  private static final int MAX_TAG_KEY = 255;
  private static final int MAX_TAG_VALUE = 4096;

  private final RegistryStore store;
  private final TransactionTemplate tx;
  private final BlobGc gc;
  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final AuditLog audit;
  private final Outbox outbox;

  RegistryService(
      RegistryStore store,
      TransactionTemplate tx,
      BlobGc gc,
      CheckpointService checkpoints,
      ArchitectureService architectures,
      AuditLog audit,
      Outbox outbox) {
    this.audit = audit;
    this.outbox = outbox;
    this.store = store;
    this.tx = tx;
    this.gc = gc;
    this.checkpoints = checkpoints;
    this.architectures = architectures;
  }

  /**
   * Registers the next version of a model, in the caller's transaction (a run registers its version
   * and records its success atomically). Version numbers are never reused, even after deletions.
   *
   * <p>The lineage's checkpoint and architecture are pinned until that transaction ends, so a
   * delete of either, which asks {@link LineageVeto}, sees this version or is over before it is
   * written (see {@link dev.graft.shared.DeletionVeto}). A lineage whose rows are already gone is
   * still recorded (it keeps the checkpoint's SHA-256); for a run's version that cannot happen, as
   * the running run keeps them.
   *
   * @return the registered version
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public ModelVersion register(NewVersion v) {
    checkpoints.pin(v.lineage().checkpointId());
    architectures.pin(v.lineage().architectureId());
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    // The counter's row lock serialises registrations per model until this transaction ends.
    int version = store.nextVersion(v.model(), now);
    store.insertVersion(v, version, now);
    outbox.record(
        EventType.VERSION_CREATED,
        Map.of("model", v.model(), "version", version, "runId", v.runId()));
    for (String alias : v.aliases() == null ? List.<String>of() : v.aliases()) {
      store.upsertAlias(v.model(), alias, version);
      outbox.record(EventType.ALIAS_MOVED, aliasEvent(v.model(), alias, version));
    }
    audit.record(
        "version.create",
        "version",
        v.model() + "/" + version,
        "by run "
            + v.runId()
            + (v.aliases() == null || v.aliases().isEmpty() ? "" : ", aliases " + v.aliases()));
    return get(v.model(), version);
  }

  /**
   * Models by name, optionally those whose name contains {@code q} (case-insensitive) and those
   * with at least one version carrying every given tag. Throws nothing of its own: filters are
   * parsed by {@link TagFilter#parse} and paging checked by {@link PageRequest}.
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<Model> models(String q, List<TagFilter> tags, PageRequest page) {
    long total = store.countModels(q, tags);
    List<Model> items = store.models(q, tags, page.offset(), page.size());
    return new PageResponse<>(items, page.page(), page.size(), total);
  }

  /**
   * A model: its version count, latest version and aliases.
   *
   * @throws ModelVersionNotFound when it does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public Model model(String name) {
    return store.model(name).orElseThrow(() -> ModelVersionNotFound.forName(name));
  }

  /**
   * A version.
   *
   * @throws ModelVersionNotFound when the model or the version does not exist
   */
  @Transactional(readOnly = true)
  public ModelVersion get(String model, int version) {
    return store
        .version(model, version)
        .orElseThrow(
            () -> {
              requireModel(model);
              return ModelVersionNotFound.forVersion(model, version);
            });
  }

  /**
   * A model's versions, newest first, optionally only those carrying every given tag.
   *
   * @throws ModelVersionNotFound when the model does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<ModelVersion> versions(String model, List<TagFilter> tags, PageRequest page) {
    requireModel(model);
    long total = store.countVersions(model, tags);
    List<ModelVersion> items = store.versions(model, tags, page.offset(), page.size());
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
        .filter(a -> a.format().wireName().equals(format))
        .findFirst()
        .orElseThrow(() -> ModelVersionNotFound.forArtifact(model, version, format));
  }

  /**
   * One file of an artifact split into shards: its index file or a shard, by its Hugging Face name.
   *
   * @throws ModelVersionNotFound when the model, the version, the artifact or the file does not
   *     exist
   */
  @Transactional(readOnly = true)
  public ModelVersion.Shard artifactFile(
      String model, int version, String format, String fileName) {
    return artifact(model, version, format)
        .file(fileName)
        .orElseThrow(() -> ModelVersionNotFound.forArtifactFile(model, version, format, fileName));
  }

  /**
   * The version an alias points at.
   *
   * @throws ModelVersionNotFound when the model or the alias does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public ModelVersion alias(String model, String alias) {
    int version =
        store
            .aliasTarget(model, alias)
            .orElseThrow(
                () -> {
                  requireModel(model);
                  return ModelVersionNotFound.forAlias(model, alias);
                });
    return get(model, version);
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
   * @throws InvalidInput (field {@code alias}) when the alias name is invalid, (field {@code
   *     version}) when no version is given
   * @throws ModelVersionNotFound when the model does not exist
   * @throws UnknownReference (field {@code version}) when the model has no such version
   */
  public ModelVersion moveAlias(String model, String alias, Integer version) {
    checkAlias(alias);
    if (version == null) {
      throw new InvalidInput(
          "version", "is required: the version number the alias should point at");
    }
    try {
      ModelVersion moved =
          tx.execute(
              status -> {
                requireModel(model);
                // KEY SHARE: a concurrent delete of this version waits for us, then sees the alias.
                if (!store.lockVersionAgainstDelete(model, version)) {
                  throw unknownVersion(model, version);
                }
                store.upsertAlias(model, alias, version);
                audit.record("alias.move", "alias", model + "/" + alias, "to version " + version);
                outbox.record(EventType.ALIAS_MOVED, aliasEvent(model, alias, version));
                return get(model, version);
              });
      log.info("alias {}/{} moved to version {}", model, alias, version);
      return moved;
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
    if (!store.deleteAlias(model, alias)) {
      requireModel(model);
      throw ModelVersionNotFound.forAlias(model, alias);
    }
    audit.record("alias.delete", "alias", model + "/" + alias, null);
    outbox.record(EventType.ALIAS_MOVED, aliasEvent(model, alias, null));
    log.info("alias {}/{} deleted", model, alias);
  }

  /**
   * Sets a version's description and/or replaces its tags; everything else about a version is
   * immutable.
   *
   * @param expected a condition on the version as it is before the change (the client's {@code
   *     If-Match}), checked with the version locked, so no other edit slips in between
   * @return the version as it now is
   * @throws InvalidInput (field {@code tags}) when there are too many tags or one is too long
   * @throws ModelVersionNotFound when the model or the version does not exist
   * @throws ResourceChanged when the version does not meet {@code expected}
   */
  @Transactional
  public ModelVersion update(
      String model, int version, MetadataChanges changes, Predicate<ModelVersion> expected) {
    checkDescription("description", changes.description());
    checkTags(changes.tags());
    if (!store.lockVersionForUpdate(model, version)) {
      requireModel(model);
      throw ModelVersionNotFound.forVersion(model, version);
    }
    if (!expected.test(get(model, version))) {
      throw new ResourceChanged(
          "model '"
              + model
              + "' version "
              + version
              + " has changed since it was read (If-Match); read it again and retry");
    }
    store.updateVersion(model, version, changes);
    audit.record(
        "version.update",
        "version",
        model + "/" + version,
        (changes.descriptionGiven() ? "description" : "")
            + (changes.descriptionGiven() && changes.tags() != null ? " and " : "")
            + (changes.tags() != null ? "tags " + changes.tags().keySet() : ""));
    return get(model, version);
  }

  /**
   * Sets a model's description and/or replaces its tags.
   *
   * @param expected a condition on the model as it is before the change (the client's {@code
   *     If-Match}), checked with the model locked
   * @return the model as it now is
   * @throws InvalidInput (field {@code description} or {@code tags}) when one is too long or there
   *     are too many tags
   * @throws ModelVersionNotFound when the model does not exist
   * @throws ResourceChanged when the model does not meet {@code expected}
   */
  @Transactional
  public Model updateModel(String name, MetadataChanges changes, Predicate<Model> expected) {
    checkDescription("description", changes.description());
    checkTags(changes.tags());
    if (!store.lockModel(name)) {
      throw ModelVersionNotFound.forName(name);
    }
    if (!expected.test(model(name))) {
      throw new ResourceChanged(
          "model '" + name + "' has changed since it was read (If-Match); read it again and retry");
    }
    store.updateModel(name, changes);
    audit.record(
        "model.update",
        "model",
        name,
        (changes.descriptionGiven() ? "description" : "")
            + (changes.descriptionGiven() && changes.tags() != null ? " and " : "")
            + (changes.tags() != null ? "tags " + changes.tags().keySet() : ""));
    return model(name);
  }

  /**
   * Deletes a model that has no versions left, with its description and tags. Its version numbers
   * start again from 1 if a run registers the name anew.
   *
   * @throws ModelVersionNotFound when the model does not exist
   * @throws StillInUse when it still has versions (the detail says how many)
   */
  @Transactional
  public void deleteModel(String name) {
    // FOR UPDATE: a registration of the next version waits, then creates the model again.
    if (!store.lockModel(name)) {
      throw ModelVersionNotFound.forName(name);
    }
    long versions = store.countVersions(name, List.of());
    if (versions > 0) {
      throw new StillInUse(
          "model '"
              + name
              + "' still has "
              + versions
              + (versions == 1 ? " version" : " versions")
              + "; delete "
              + (versions == 1 ? "it" : "them")
              + " first");
    }
    store.deleteModel(name);
    audit.record("model.delete", "model", name, null);
  }

  /**
   * The artifact of the version an alias points at, resolved and read in one snapshot.
   *
   * @throws ModelVersionNotFound when the model, the alias or the artifact does not exist
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public VersionArtifact aliasArtifact(String model, String alias, String format) {
    ModelVersion v = alias(model, alias);
    return new VersionArtifact(model, v.version(), artifact(model, v.version(), format));
  }

  /**
   * Deletes a version and its artifact rows, then collects the artifacts' blobs that no other row
   * names. The model itself stays (with its aliases and version counter), so its numbers are never
   * handed out again.
   *
   * @throws ModelVersionNotFound when the model or the version does not exist
   * @throws StillInUse when an alias points at the version (the detail names the aliases)
   */
  public void delete(String model, int version) {
    List<String> shas =
        tx.execute(
            status -> {
              // FOR UPDATE: an alias move to this version waits, then finds it gone.
              if (!store.lockVersionForUpdate(model, version)) {
                requireModel(model);
                throw ModelVersionNotFound.forVersion(model, version);
              }
              List<String> aliases = store.aliasesOf(model, version);
              if (!aliases.isEmpty()) {
                throw new StillInUse(
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
              List<String> artifacts = store.artifactSha256s(model, version);
              store.deleteVersion(model, version);
              audit.record("version.delete", "version", model + "/" + version, null);
              outbox.record(EventType.VERSION_DELETED, Map.of("model", model, "version", version));
              return artifacts;
            });
    log.info("model {} version {} deleted", model, version);
    // After commit: the collector must see the rows gone (it keeps blobs other rows still name).
    for (String sha : shas) {
      gc.collect(sha);
    }
  }

  private void requireModel(String model) {
    if (!store.modelExists(model)) {
      throw ModelVersionNotFound.forName(model);
    }
  }

  private static UnknownReference unknownVersion(String model, int version) {
    return new UnknownReference("version", "model '" + model + "' has no version " + version);
  }

  private static void checkAlias(String alias) {
    if (alias == null || !ALIAS.matcher(alias).matches()) {
      throw new InvalidInput(
          "alias",
          "must be 1-255 letters, digits, '.', '_' or '-', starting with a letter or digit; was '"
              + alias
              + "'");
    }
  }

  /** The longest description a model or version may carry. */
  public static final int MAX_DESCRIPTION = 10_000;

  /** An {@code alias.moved} event's data; {@code version} is null when the alias was deleted. */
  private static Map<String, Object> aliasEvent(String model, String alias, Integer version) {
    Map<String, Object> data = new HashMap<>();
    data.put("model", model);
    data.put("alias", alias);
    data.put("version", version);
    return data;
  }

  /**
   * Checks a description a client gave: at most {@value #MAX_DESCRIPTION} characters.
   *
   * @throws InvalidInput naming {@code field} otherwise
   */
  public static void checkDescription(String field, String description) {
    if (description != null && description.length() > MAX_DESCRIPTION) {
      throw new InvalidInput(
          field, "must be at most " + MAX_DESCRIPTION + " characters, was " + description.length());
    }
  }

  /**
   * Checks tags a client gave: at most 100, keys of 1-255 characters, values of at most 4096.
   *
   * @throws InvalidInput naming the offending tag otherwise
   */
  public static void checkTags(Map<String, String> tags) {
    if (tags == null) {
      return;
    }
    if (tags.size() > MAX_TAGS) {
      throw new InvalidInput("tags", "must be at most " + MAX_TAGS + " tags, were " + tags.size());
    }
    for (Map.Entry<String, String> t : tags.entrySet()) {
      if (t.getKey().isEmpty() || t.getKey().length() > MAX_TAG_KEY) {
        throw new InvalidInput(
            "tags",
            "keys must be 1-"
                + MAX_TAG_KEY
                + " characters, "
                + dev.graft.shared.Texts.quote(t.getKey())
                + " is not");
      }
      if (t.getValue() == null || t.getValue().length() > MAX_TAG_VALUE) {
        throw new InvalidInput(
            "tags." + dev.graft.shared.Texts.quote(t.getKey()),
            "must be a string of at most " + MAX_TAG_VALUE + " characters");
      }
    }
  }
}
