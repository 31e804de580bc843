package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The plan's records serialise straight into API.md's field names. */
class ReportJsonTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void shouldSerialiseReportWithTheApiFieldNames() {
    TensorInfo t =
        new TensorInfo(
            "module.fc.weight",
            DType.FLOAT16,
            List.of(2L),
            List.of(1L),
            0,
            "0",
            0,
            4,
            ByteOrder.LITTLE_ENDIAN,
            false,
            null);
    CheckpointIndex ckpt =
        new CheckpointIndex(CheckpointFormat.PYTORCH, "", List.of(t), Map.of(), Map.of());
    TargetArchitecture target =
        new TargetArchitecture(
            "Net",
            List.of(
                new TargetEntry(
                    "fc.weight",
                    DType.FLOAT32,
                    List.of(2L),
                    EntryKind.PARAMETER,
                    true,
                    true,
                    null)));

    JsonNode json = JSON.valueToTree(LoadPlanner.plan(ckpt, target, LoadOptions.defaults()));

    assertThat(json.propertyNames())
        .containsExactlyInAnyOrder(
            "strict",
            "outcome",
            "summary",
            "missingKeys",
            "unexpectedKeys",
            "mismatchedKeys",
            "entries",
            "unused",
            "suggestedKeyRules",
            "error");
    assertThat(json.get("summary").propertyNames())
        .containsExactlyInAnyOrder(
            "targetKeys",
            "loaded",
            "initialized",
            "shapeMismatched",
            "unused",
            "targetNumel",
            "loadedNumel",
            "initializedNumel",
            "trainableInitializedNumel",
            "warmStartedFraction");
    assertThat(json.get("entries").get(0).propertyNames())
        .containsExactlyInAnyOrder(
            "targetKey",
            "sourceKey",
            "status",
            "action",
            "kind",
            "requiresGrad",
            "dtype",
            "shape",
            "sourceDtype",
            "sourceShape");
    assertThat(json.get("unused").get(0).get("dtype").asString()).isEqualTo("float16");
    assertThat(json.get("outcome").asString()).isEqualTo("FAILED");
    JsonNode suggestion = json.get("suggestedKeyRules").get(0);
    assertThat(suggestion.get("rule").get("type").asString()).isEqualTo("stripPrefix");
    assertThat(suggestion.get("rule").get("prefix").asString()).isEqualTo("module.");
    assertThat(suggestion.get("gain").asInt()).isEqualTo(1);
  }

  @Test
  void shouldDefaultOmittedOptionsToPyTorchsBehaviour() {
    assertThat(JSON.readValue("{}", LoadOptions.class)).isEqualTo(LoadOptions.defaults());
    assertThat(JSON.readValue("{\"strict\": false}", LoadOptions.class).strict()).isFalse();
  }

  @Test
  void shouldReadLoadOptionsInTheApiShape() {
    String body =
        """
        { "strict": false,
          "keyRules": [ {"type": "stripPrefix", "prefix": "module."},
                        {"type": "addPrefix",   "prefix": "backbone."},
                        {"type": "regex", "pattern": "^layer(\\\\d+)\\\\.", "replacement": "layers.$1."} ],
          "onShapeMismatch": "COPY_OVERLAP", "dtype": "CHECKPOINT", "freeze": ["backbone.*"], "initSeed": 7 }
        """;

    LoadOptions options = JSON.readValue(body, LoadOptions.class);

    assertThat(options.keyRules())
        .containsExactly(
            new KeyRule.StripPrefix("module."),
            new KeyRule.AddPrefix("backbone."),
            new KeyRule.RegexRename("^layer(\\d+)\\.", "layers.$1."));
    assertThat(options.onShapeMismatch()).isEqualTo(ShapeMismatchPolicy.COPY_OVERLAP);
    assertThat(options.dtype()).isEqualTo(DtypePolicy.CHECKPOINT);
    assertThat(options.freeze()).containsExactly("backbone.*");
    assertThat(options.initSeed()).isEqualTo(7);
    assertThat(JSON.valueToTree(options.keyRules().get(2)).toString())
        .isEqualTo(
            "{\"type\":\"regex\",\"pattern\":\"^layer(\\\\d+)\\\\.\",\"replacement\":\"layers.$1.\"}");
  }
}
