package dev.graft.warmstart;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.plan.CheckpointSource;
import dev.graft.plan.LoadOptions;
import dev.graft.registry.ArtifactFormat;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A warm-start to run: load a checkpoint into an architecture under options and register the
 * result.
 *
 * @param checkpointId the checkpoint; {@code null} when {@code sources} names several
 * @param architectureId the target architecture
 * @param options the load options; PyTorch's defaults when absent
 * @param output where the result goes
 * @param sources several checkpoints instead of {@code checkpointId}, each with its own key rules
 *     and globs; a target key is taken from the first source that offers it (see {@link
 *     CheckpointSource}). An empty list beside a {@code checkpointId} is no sources
 */
@Schema(
    requiredProperties = {"architectureId", "output"},
    example =
        """
        {"checkpointId":"6f1c2a9e-3b7d-4c52-9a51-0d3e5f7a8b90","architectureId":"0b7e2f4c-9d41-4a8e-8f5e-2c6a1d9b3e70",
         "options":{"strict":false,"onShapeMismatch":"COPY_OVERLAP","freeze":["backbone.*"]},
         "output":{"model":"resnet34-warm","formats":["safetensors","pytorch"],"description":"from resnet18 epoch 3",
                   "tags":{"team":"vision"},"aliases":["candidate"]}}""")
public record WarmStartRequest(
    UUID checkpointId,
    UUID architectureId,
    LoadOptions options,
    Output output,
    @ArraySchema(
            arraySchema =
                @Schema(
                    description =
                        "Several checkpoints instead of checkpointId: each source's keys are"
                            + " rewritten by options.keyRules, then its own keyRules, then filtered"
                            + " by its include/exclude globs; the first source offering a target"
                            + " key wins it. An empty list beside checkpointId is no sources"))
        @JsonInclude(JsonInclude.Include.NON_NULL)
        List<CheckpointSource> sources) {

  /** A run from one checkpoint. */
  public WarmStartRequest(
      UUID checkpointId, UUID architectureId, LoadOptions options, Output output) {
    this(checkpointId, architectureId, options, output, null);
  }

  /**
   * The model version a successful run registers. As the client sent it, formats are names (an
   * unknown one is refused by {@link RunService} naming {@code output.formats}); once accepted, the
   * run stores it with defaults filled in and the executor reads it back as is.
   *
   * @param model the model's name
   * @param formats artifact formats ({@link ArtifactFormat} names); {@code safetensors} and {@code
   *     pytorch} when absent
   * @param description free text
   * @param tags free key-value tags
   * @param aliases aliases to point at the new version
   * @param maxShardSize when set ({@code "5GB"}, {@code "500MB"}, {@code "2GiB"}, bytes), the
   *     safetensors and pytorch artifacts are split into shards no larger than this, with the index
   *     file Hugging Face's loaders read; {@code null} for one file each
   */
  @Schema(name = "WarmStartOutput", requiredProperties = "model")
  public record Output(
      @Schema(
              description = "The model to register the result as the next version of",
              pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$",
              example = "resnet34-warm")
          String model,
      @ArraySchema(
              schema = @Schema(allowableValues = {"safetensors", "pytorch", "torchscript"}),
              arraySchema =
                  @Schema(
                      description =
                          "Artifact formats; safetensors and pytorch when absent. torchscript needs"
                              + " an architecture uploaded as TorchScript"))
          List<String> formats,
      @Schema(nullable = true, description = "Free text for the version") String description,
      @Schema(description = "Free key-value tags for the version") Map<String, String> tags,
      @Schema(description = "Aliases to point at the new version") List<String> aliases,
      @Schema(
              nullable = true,
              description =
                  "Split the safetensors and pytorch artifacts into shards no larger than this"
                      + " (\"5GB\" is 5·10⁹ bytes, \"5GiB\" 5·2³⁰, or a number of bytes), as"
                      + " Hugging Face's save_pretrained(max_shard_size=...) does, each with its index"
                      + " file; one file each when absent",
              example = "5GB")
          @JsonInclude(JsonInclude.Include.NON_NULL)
          String maxShardSize) {

    /** An output of one file per format. */
    public Output(
        String model,
        List<String> formats,
        String description,
        Map<String, String> tags,
        List<String> aliases) {
      this(model, formats, description, tags, aliases, null);
    }

    /**
     * The formats to write, in order.
     *
     * @throws IllegalStateException for a name that is no format: an output the service did not
     *     accept
     */
    @JsonIgnore
    public List<ArtifactFormat> artifactFormats() {
      return formats.stream()
          .map(
              name ->
                  ArtifactFormat.byName(name)
                      .orElseThrow(
                          () ->
                              new IllegalStateException("'" + name + "' is not an output format")))
          .toList();
    }
  }
}
