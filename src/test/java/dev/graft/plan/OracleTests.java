package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks the planner against what torch 1.13's {@code load_state_dict} really did, case by case.
 * The cases come from {@code scripts/make_oracle.py}: the committed fixed set under {@code
 * fixtures/oracle}, and a randomized set in the folder named by {@code GRAFT_ORACLE_DIR}
 * (environment or system property) when set.
 */
class OracleTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Path FIXTURES = Path.of("src/test/resources/fixtures/oracle");

  @TestFactory
  Stream<DynamicTest> shouldAgreeWithTorchOnEveryOracleCase() throws IOException {
    List<Path> dirs = new ArrayList<>(List.of(FIXTURES));
    String extra = System.getProperty("GRAFT_ORACLE_DIR", System.getenv("GRAFT_ORACLE_DIR"));
    if (extra != null && !extra.isBlank()) {
      dirs.add(Path.of(extra));
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (Path dir : dirs) {
      JsonNode root = JSON.readTree(Files.readString(dir.resolve("cases.json")));
      for (JsonNode c : root.get("cases")) {
        tests.add(DynamicTest.dynamicTest(c.get("name").asString(), () -> check(dir, c)));
      }
    }
    assertThat(tests).hasSizeGreaterThanOrEqualTo(40);
    return tests.stream();
  }

  private static void check(Path dir, JsonNode c) throws IOException {
    CheckpointIndex checkpoint = read(dir.resolve(c.get("checkpointFile").asString()));
    assertThat(checkpoint.stateDictPath())
        .as("state dict path")
        .isEqualTo(c.get("stateDictPath").asString());
    assertSameTensors(checkpoint, describedIndex(c.get("checkpoint")), true);
    String name = c.get("target").get("name").asString();
    CheckpointIndex targetIndex = read(dir.resolve(c.get("targetFile").asString()));
    assertSameTensors(targetIndex, describedIndex(targetAsIndex(c.get("target"))), false);
    TargetArchitecture target = TargetArchitectures.fromStateDict(name, targetIndex);
    assertThat(target.entries())
        .extracting(TargetEntry::key, en -> en.kind().name(), TargetEntry::requiresGrad)
        .containsExactlyElementsOf(
            c.get("target")
                .get("entries")
                .valueStream()
                .map(
                    en ->
                        tuple(
                            en.get("key").asString(),
                            en.get("kind").asString(),
                            en.get("requiresGrad").asBoolean()))
                .toList());

    LoadOptions options = options(c.get("options"));
    Report report = LoadPlanner.plan(checkpoint, target, options);
    JsonNode e = c.get("expected");

    assertThat(report.missingKeys())
        .as("missing keys")
        .containsExactlyElementsOf(strings(e.get("missingKeys")));
    assertThat(report.unexpectedKeys())
        .as("unexpected keys")
        .containsExactlyElementsOf(strings(e.get("unexpectedKeys")));
    assertThat(report.error())
        .as("error text")
        .isEqualTo(e.get("error").isNull() ? null : e.get("error").asString());
    assertThat(report.outcome().name()).as("outcome").isEqualTo(e.get("outcome").asString());
    assertThat(report.mismatchedKeys())
        .extracting(Report.MismatchedKey::key)
        .as("mismatched")
        .containsExactlyInAnyOrderElementsOf(strings(e.get("mismatched")));
    if (report.outcome() == Outcome.FAILED) {
      assertThat(report.entries()).extracting(Report.Entry::action).containsOnlyNulls();
      return;
    }
    Map<String, Report.Entry> byKey = new LinkedHashMap<>();
    report.entries().forEach(en -> byKey.put(en.targetKey(), en));
    List<String> loaded =
        report.entries().stream()
            .filter(en -> en.status() == EntryStatus.LOADED)
            .map(Report.Entry::targetKey)
            .toList();
    List<String> initialized =
        report.entries().stream()
            .filter(en -> en.status() == EntryStatus.INITIALIZED)
            .map(Report.Entry::targetKey)
            .toList();
    assertThat(loaded).as("loaded").containsExactlyElementsOf(strings(e.get("loaded")));
    assertThat(initialized)
        .as("initialized")
        .containsExactlyElementsOf(strings(e.get("initialized")));
    long loadedNumel = 0;
    for (String key : loaded) {
      loadedNumel += Shapes.numel(byKey.get(key).shape());
    }
    for (Map.Entry<String, JsonNode> o : e.get("overlapNumel").properties()) {
      assertThat(byKey.get(o.getKey()).action()).isEqualTo(EntryAction.COPIED_OVERLAP);
      loadedNumel += o.getValue().asLong();
    }
    assertThat(report.summary().loadedNumel()).as("loadedNumel").isEqualTo(loadedNumel);
    for (Map.Entry<String, JsonNode> d : e.get("dtypes").properties()) {
      assertThat(byKey.get(d.getKey()).dtype())
          .as("dtype of " + d.getKey())
          .isEqualTo(d.getValue().asString());
    }
    for (String frozen : strings(e.get("frozen"))) {
      assertThat(byKey.get(frozen).requiresGrad()).as("requiresGrad of frozen " + frozen).isFalse();
    }
  }

  private static CheckpointIndex read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return CheckpointReader.read(ch, null, null, ReadLimits.defaults());
    }
  }

  /** The reader must see what torch saved: keys in order, dtypes, shapes, parameters, versions. */
  private static void assertSameTensors(
      CheckpointIndex read, CheckpointIndex described, boolean withVersions) {
    assertThat(read.tensors())
        .extracting(
            TensorInfo::key,
            TensorInfo::dtype,
            TensorInfo::shape,
            TensorInfo::parameter,
            TensorInfo::requiresGrad)
        .containsExactlyElementsOf(
            described.tensors().stream()
                .map(t -> tuple(t.key(), t.dtype(), t.shape(), t.parameter(), t.requiresGrad()))
                .toList());
    if (withVersions) {
      assertThat(read.moduleVersions()).as("module versions").isEqualTo(described.moduleVersions());
    }
  }

  private static CheckpointIndex describedIndex(JsonNode d) {
    List<TensorInfo> tensors = new ArrayList<>();
    for (JsonNode t : d.get("tensors")) {
      List<Long> shape = new ArrayList<>();
      t.get("shape").forEach(s -> shape.add(s.asLong()));
      List<Long> strides = new ArrayList<>();
      long stride = 1;
      for (int i = shape.size() - 1; i >= 0; i--) {
        strides.add(0, stride);
        stride *= Math.max(1, shape.get(i));
      }
      DType dtype = DType.byTorchName(t.get("dtype").asString()).orElseThrow();
      JsonNode rg = t.get("requiresGrad");
      tensors.add(
          new TensorInfo(
              t.get("key").asString(),
              dtype,
              shape,
              strides,
              0,
              t.get("key").asString(),
              0,
              0,
              ByteOrder.LITTLE_ENDIAN,
              t.get("parameter").asBoolean(),
              rg == null || rg.isNull() ? null : rg.asBoolean()));
    }
    Map<String, Long> versions = new HashMap<>();
    JsonNode v = d.get("moduleVersions");
    if (v != null) {
      v.properties().forEach(p -> versions.put(p.getKey(), p.getValue().asLong()));
    }
    return new CheckpointIndex(CheckpointFormat.PYTORCH, "", tensors, Map.of(), versions);
  }

  private static JsonNode targetAsIndex(JsonNode target) {
    var out = JSON.createObjectNode();
    var tensors = out.putArray("tensors");
    for (JsonNode en : target.get("entries")) {
      var t = tensors.addObject();
      t.put("key", en.get("key").asString());
      t.put("dtype", en.get("dtype").asString());
      t.set("shape", en.get("shape"));
      boolean param = en.get("kind").asString().equals("PARAMETER");
      t.put("parameter", param);
      if (param) {
        t.put("requiresGrad", en.get("requiresGrad").asBoolean());
      }
    }
    out.putObject("moduleVersions");
    return out;
  }

  static LoadOptions options(JsonNode o) {
    List<KeyRule> rules = new ArrayList<>();
    JsonNode r = o.get("keyRules");
    if (r != null) {
      for (JsonNode rule : r) {
        rules.add(
            switch (rule.get("type").asString()) {
              case "stripPrefix" -> new KeyRule.StripPrefix(rule.get("prefix").asString());
              case "addPrefix" -> new KeyRule.AddPrefix(rule.get("prefix").asString());
              case "regex" ->
                  new KeyRule.RegexRename(
                      rule.get("pattern").asString(), rule.get("replacement").asString());
              default -> throw new IllegalArgumentException(rule.toString());
            });
      }
    }
    return new LoadOptions(
        o.get("strict").asBoolean(),
        rules,
        o.has("onShapeMismatch")
            ? ShapeMismatchPolicy.valueOf(o.get("onShapeMismatch").asString())
            : null,
        o.has("dtype") ? DtypePolicy.valueOf(o.get("dtype").asString()) : null,
        o.has("freeze") ? strings(o.get("freeze")) : List.of(),
        0L);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }
}
