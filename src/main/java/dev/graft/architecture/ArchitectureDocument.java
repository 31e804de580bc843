package dev.graft.architecture;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * A target architecture described in JSON, for callers without a saved model.
 *
 * @param name the model's name
 * @param entries the state-dict keys in {@code state_dict()} order; read with {@link
 *     JsonEntries.Entries}, which stops at the entry limit
 */
@Schema(
    requiredProperties = {"name", "entries"},
    example =
        """
        {"name":"Classifier","entries":[
          {"key":"fc.weight","dtype":"float32","shape":[10,512],"kind":"PARAMETER","requiresGrad":true,
           "init":{"scheme":"kaiming_uniform","a":2.23606797749979}},
          {"key":"fc.bias","dtype":"float32","shape":[10],"kind":"PARAMETER","init":{"scheme":"zeros"}},
          {"key":"bn.num_batches_tracked","dtype":"int64","shape":[],"kind":"BUFFER","init":{"scheme":"zeros"}}]}""")
public record ArchitectureDocument(
    @Schema(
            description = "The model's name (PyTorch's error text calls the model by it)",
            maxLength = 255,
            example = "Classifier")
        String name,
    @Schema(description = "The state-dict keys in state_dict() order")
        @JsonDeserialize(using = JsonEntries.Entries.class)
        List<Entry> entries) {

  /**
   * One entry.
   *
   * @param key the state-dict key
   * @param dtype torch dtype name, e.g. {@code float32}
   * @param shape sizes, whole numbers of 0 or more as written (read with {@link JsonEntries.Sizes},
   *     which refuses what Jackson would coerce: {@code 1.5}, {@code 2.0}, {@code "3"}, {@code -0})
   * @param kind PARAMETER or BUFFER
   * @param requiresGrad defaults to {@code true} for parameters and {@code false} for buffers
   * @param init the init scheme: {@code {"scheme": NAME, PARAMETER: VALUE, ...}}, a {@link
   *     dev.graft.plan.InitScheme} by its API name with its parameters
   */
  @Schema(
      name = "ArchitectureDocumentEntry",
      requiredProperties = {"key", "dtype", "shape"})
  public record Entry(
      @Schema(example = "fc.weight") String key,
      @Schema(description = "torch's dtype name without prefix", example = "float32") String dtype,
      @Schema(description = "Sizes, whole numbers of 0 or more; [] for a 0-dim entry")
          @JsonDeserialize(using = JsonEntries.Sizes.class)
          List<Long> shape,
      @Schema(
              allowableValues = {"PARAMETER", "BUFFER"},
              defaultValue = "PARAMETER",
              description = "PARAMETER (the default) or BUFFER")
          String kind,
      @Schema(description = "Defaults to true for parameters and false for buffers")
          Boolean requiresGrad,
      @Schema(
              implementation = InitSpec.class,
              description =
                  "How the entry is initialised; PyTorch's Linear and Conv weight default"
                      + " (kaiming_uniform, a=√5) for floating-point parameters of rank 2 or more,"
                      + " zeros otherwise")
          Map<String, Object> init) {}
}
