package dev.graft.checkpoint;

import dev.graft.format.CheckpointFormat;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An immutable uploaded weights file, content-addressed by SHA-256.
 *
 * @param id the checkpoint's id
 * @param name the name given at upload
 * @param sha256 hex SHA-256 of the file's bytes
 * @param sizeBytes file size
 * @param format the file's format, {@code pytorch} or {@code safetensors} in JSON
 * @param stateDictPath where the state dict sits in a nested checkpoint; empty for a top-level one
 * @param tensorCount state-dict keys
 * @param numel elements over all state-dict keys
 * @param dtypes tensors per dtype name
 * @param metadata plain data stored beside the state dict
 * @param createdAt when it was uploaded
 */
@Schema(
    requiredProperties = {
      "id",
      "name",
      "sha256",
      "sizeBytes",
      "format",
      "stateDictPath",
      "tensorCount",
      "numel",
      "dtypes",
      "metadata",
      "createdAt",
      "shards"
    },
    example =
        """
        {"id":"6f1c2a9e-3b7d-4c52-9a51-0d3e5f7a8b90","name":"resnet18-epoch3",
         "sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","sizeBytes":46830571,
         "format":"pytorch","stateDictPath":"model_state_dict","tensorCount":122,"numel":11689512,
         "dtypes":{"float32":102,"int64":20},"metadata":{"epoch":3},"createdAt":"2026-11-29T14:00:00Z"}""")
public record Checkpoint(
    UUID id,
    String name,
    @Schema(description = "SHA-256 of the file's bytes, hex", pattern = "^[0-9a-f]{64}$")
        String sha256,
    long sizeBytes,
    @Schema(
            type = "string",
            allowableValues = {"pytorch", "safetensors"})
        CheckpointFormat format,
    @Schema(
            description =
                "Where the state dict sits in a nested checkpoint; empty for a top-level one")
        String stateDictPath,
    @Schema(description = "State-dict keys") int tensorCount,
    @Schema(description = "Elements over all state-dict keys") long numel,
    @Schema(description = "Tensors per dtype name (float32, int64, ...)") Map<String, Long> dtypes,
    @Schema(description = "Plain data stored beside the state dict (epoch, config, ...)")
        Map<String, Object> metadata,
    Instant createdAt,
    @Schema(
            description =
                "For a checkpoint uploaded in Hugging Face's sharded layout: its files, the index"
                    + " first, then each shard in the order its bytes are read (sha256 and sizeBytes"
                    + " above are then its manifest's, a sha256sum listing of these files). Empty for"
                    + " a checkpoint of one file")
        List<Shard> shards) {

  /** Copies the list, {@code null} being empty. */
  public Checkpoint {
    shards = shards == null ? List.of() : List.copyOf(shards);
  }

  /** A checkpoint of one file. */
  public Checkpoint(
      UUID id,
      String name,
      String sha256,
      long sizeBytes,
      CheckpointFormat format,
      String stateDictPath,
      int tensorCount,
      long numel,
      Map<String, Long> dtypes,
      Map<String, Object> metadata,
      Instant createdAt) {
    this(
        id,
        name,
        sha256,
        sizeBytes,
        format,
        stateDictPath,
        tensorCount,
        numel,
        dtypes,
        metadata,
        createdAt,
        List.of());
  }

  /** The shard files whose bytes, one after another, hold its tensors; empty for one file. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public List<Shard> dataShards() {
    return shards.isEmpty() ? List.of() : shards.subList(1, shards.size());
  }

  /**
   * One file of a sharded checkpoint.
   *
   * @param fileName its name in the upload ({@code model-00001-of-00003.safetensors})
   * @param sha256 its SHA-256, hex
   * @param sizeBytes its size
   */
  @Schema(
      name = "CheckpointShard",
      requiredProperties = {"fileName", "sha256", "sizeBytes"})
  public record Shard(String fileName, String sha256, long sizeBytes) {}
}
