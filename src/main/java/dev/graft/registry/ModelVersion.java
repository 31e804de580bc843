package dev.graft.registry;

import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An immutable numbered version of a named model: its artifacts, the run and report summary that
 * made it, and its lineage.
 *
 * @param model the model's name
 * @param version the version number, from 1
 * @param createdAt when it was registered
 * @param description free text
 * @param tags free key-value tags
 * @param aliases the aliases that point at this version
 * @param runId the warm-start run that made it
 * @param lineage what it was made from
 * @param summary the run report's summary, as planned when the run executed
 * @param artifacts the stored files
 */
@Schema(
    requiredProperties = {
      "model",
      "version",
      "createdAt",
      "description",
      "tags",
      "aliases",
      "runId",
      "lineage",
      "summary",
      "artifacts"
    })
public record ModelVersion(
    String model,
    @Schema(description = "The version number, from 1; never reused") int version,
    Instant createdAt,
    @Schema(nullable = true) String description,
    Map<String, String> tags,
    @Schema(description = "The aliases that point at this version") List<String> aliases,
    @Schema(description = "The warm-start run that made it") UUID runId,
    Lineage lineage,
    @Schema(description = "The run report's summary, as planned when the run executed")
        Report.Summary summary,
    List<Artifact> artifacts) {

  /**
   * What a version was made from.
   *
   * @param checkpointId the checkpoint; the first source's when it was loaded from several
   * @param checkpointSha256 the checkpoint's SHA-256, kept even if the checkpoint row goes
   * @param architectureId the target architecture
   * @param options the load options, with every default filled in
   * @param sources every checkpoint it was loaded from, in the order the run named them (first
   *     wins), each with its SHA-256 and its own key rules and globs; the one checkpoint, without
   *     rules or globs, for a version loaded from {@code checkpointId}
   */
  @Schema(
      requiredProperties = {
        "checkpointId",
        "checkpointSha256",
        "architectureId",
        "options",
        "sources"
      })
  public record Lineage(
      UUID checkpointId,
      String checkpointSha256,
      UUID architectureId,
      LoadOptions options,
      @Schema(
              description =
                  "Every checkpoint the version was loaded from, in order (the first that offers a"
                      + " key wins it), with its SHA-256")
          List<Source> sources) {

    /** Copies the list; {@code null} or empty is the one checkpoint, without rules or globs. */
    public Lineage {
      sources =
          sources == null || sources.isEmpty()
              ? List.of(new Source(checkpointId, checkpointSha256, List.of(), List.of(), List.of()))
              : List.copyOf(sources);
    }

    /** A version loaded from one checkpoint. */
    public Lineage(
        UUID checkpointId, String checkpointSha256, UUID architectureId, LoadOptions options) {
      this(checkpointId, checkpointSha256, architectureId, options, null);
    }

    /** Whether it was loaded from several checkpoints, or one with rules or globs of its own. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean hasSources() {
      return sources.size() > 1
          || !sources.get(0).keyRules().isEmpty()
          || !sources.get(0).include().isEmpty()
          || !sources.get(0).exclude().isEmpty();
    }
  }

  /**
   * One checkpoint a version was loaded from.
   *
   * @param checkpointId the checkpoint
   * @param checkpointSha256 its SHA-256, kept even if the checkpoint row goes
   * @param keyRules the rules that rewrote its keys, after the options' own
   * @param include the globs that picked the keys it offered; all when empty
   * @param exclude the globs that left keys out
   */
  @Schema(
      name = "LineageSource",
      description = "One checkpoint a version was loaded from, with its SHA-256, rules and globs",
      requiredProperties = {"checkpointId", "checkpointSha256", "keyRules", "include", "exclude"})
  public record Source(
      UUID checkpointId,
      String checkpointSha256,
      List<dev.graft.plan.KeyRule> keyRules,
      List<String> include,
      List<String> exclude) {

    /** Copies the lists, a {@code null} list being empty. */
    public Source {
      keyRules = keyRules == null ? List.of() : List.copyOf(keyRules);
      include = include == null ? List.of() : List.copyOf(include);
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }
  }

  /**
   * A stored artifact of a version: one file, or an index file and its shards.
   *
   * @param format the artifact's format
   * @param sha256 the file's SHA-256 (its ETag); the index file's when it is split into shards
   * @param sizeBytes the file's size; the index file's when it is split into shards
   * @param shards the shard files, in order, when {@code output.maxShardSize} split it; empty
   *     otherwise
   */
  @Schema(requiredProperties = {"format", "sha256", "sizeBytes", "shards"})
  public record Artifact(
      ArtifactFormat format,
      @Schema(
              description =
                  "The file's SHA-256, hex; its download's ETag. For an artifact split into"
                      + " shards, the index file's (model.safetensors.index.json,"
                      + " pytorch_model.bin.index.json)")
          String sha256,
      @Schema(description = "The file's size; the index file's for an artifact split into shards")
          long sizeBytes,
      @Schema(
              description =
                  "The shard files, in order, when output.maxShardSize split the artifact; empty"
                      + " otherwise. Each downloads by its file name, as does the index")
          List<Shard> shards) {

    /** Copies the list, {@code null} being empty. */
    public Artifact {
      shards = shards == null ? List.of() : List.copyOf(shards);
    }

    /** An artifact of one file. */
    public Artifact(ArtifactFormat format, String sha256, long sizeBytes) {
      this(format, sha256, sizeBytes, List.of());
    }

    /**
     * The stored file a download by name asks for: the index file (by its Hugging Face name) or one
     * of the shards; empty for any other name, and for an artifact of one file.
     */
    public java.util.Optional<Shard> file(String fileName) {
      if (shards.isEmpty()) {
        return java.util.Optional.empty();
      }
      if (format.indexFileName().equals(fileName)) {
        return java.util.Optional.of(new Shard(fileName, sha256, sizeBytes));
      }
      return shards.stream().filter(s -> s.fileName().equals(fileName)).findFirst();
    }
  }

  /**
   * One file of an artifact split into shards.
   *
   * @param fileName its name in the Hugging Face layout ({@code model-00001-of-00003.safetensors})
   * @param sha256 its SHA-256 (its download's ETag)
   * @param sizeBytes its size
   */
  @Schema(
      name = "ArtifactShard",
      requiredProperties = {"fileName", "sha256", "sizeBytes"})
  public record Shard(
      @Schema(example = "model-00001-of-00003.safetensors") String fileName,
      String sha256,
      long sizeBytes) {}
}
