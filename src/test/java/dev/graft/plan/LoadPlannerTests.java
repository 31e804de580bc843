package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadPlannerTests {

  private static final LoadOptions STRICT = LoadOptions.defaults();
  private static final LoadOptions LENIENT = LoadOptions.defaults().withStrict(false);

  // --- builders
  // ------------------------------------------------------------------------------------

  private static List<Long> shape(long... dims) {
    return Arrays.stream(dims).boxed().toList();
  }

  private static TensorInfo tensor(String key, DType dtype, long... dims) {
    List<Long> shape = shape(dims);
    List<Long> strides = new ArrayList<>();
    long stride = 1;
    for (int i = shape.size() - 1; i >= 0; i--) {
      strides.add(0, stride);
      stride *= shape.get(i);
    }
    return new TensorInfo(
        key, dtype, shape, strides, 0, key, 0, 0, ByteOrder.LITTLE_ENDIAN, false, null);
  }

  private static TensorInfo f32(String key, long... dims) {
    return tensor(key, DType.FLOAT32, dims);
  }

  private static CheckpointIndex checkpoint(Map<String, Long> versions, TensorInfo... tensors) {
    return new CheckpointIndex(CheckpointFormat.PYTORCH, "", List.of(tensors), Map.of(), versions);
  }

  private static CheckpointIndex checkpoint(TensorInfo... tensors) {
    return checkpoint(Map.of(), tensors);
  }

  private static TargetEntry param(String key, long... dims) {
    return new TargetEntry(key, DType.FLOAT32, shape(dims), EntryKind.PARAMETER, true, true, null);
  }

  private static TargetEntry buffer(String key, DType dtype, long... dims) {
    return new TargetEntry(key, dtype, shape(dims), EntryKind.BUFFER, false, true, null);
  }

  private static TargetArchitecture model(TargetEntry... entries) {
    return new TargetArchitecture("Net", List.of(entries));
  }

  private static TargetEntry[] batchNorm(String prefix, long c) {
    return new TargetEntry[] {
      param(prefix + "weight", c),
      param(prefix + "bias", c),
      buffer(prefix + "running_mean", DType.FLOAT32, c),
      buffer(prefix + "running_var", DType.FLOAT32, c),
      buffer(prefix + "num_batches_tracked", DType.INT64)
    };
  }

  private static TensorInfo[] batchNormTensors(String prefix, long c, boolean withCounter) {
    List<TensorInfo> out =
        new ArrayList<>(
            List.of(
                f32(prefix + "weight", c),
                f32(prefix + "bias", c),
                f32(prefix + "running_mean", c),
                f32(prefix + "running_var", c)));
    if (withCounter) {
      out.add(tensor(prefix + "num_batches_tracked", DType.INT64));
    }
    return out.toArray(TensorInfo[]::new);
  }

  private static Report.Entry entry(Report report, String key) {
    return report.entries().stream()
        .filter(e -> e.targetKey().equals(key))
        .findFirst()
        .orElseThrow();
  }

  // --- PyTorch's missing / unexpected / error text
  // ------------------------------------------------

  @Test
  void shouldReportNewLayersAsInitializedAndTrainable() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("fc.weight", 3, 4), f32("fc.bias", 3)),
            model(
                param("fc.weight", 3, 4),
                param("fc.bias", 3),
                param("extra.weight", 2, 3),
                param("extra.bias", 2)),
            LENIENT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.missingKeys()).containsExactly("extra.weight", "extra.bias");
    assertThat(report.unexpectedKeys()).isEmpty();
    assertThat(entry(report, "extra.weight"))
        .extracting(
            Report.Entry::status,
            Report.Entry::action,
            Report.Entry::kind,
            Report.Entry::requiresGrad)
        .containsExactly(
            EntryStatus.INITIALIZED, EntryAction.INITIALIZED, EntryKind.PARAMETER, true);
    assertThat(entry(report, "fc.weight").status()).isEqualTo(EntryStatus.LOADED);
    assertThat(entry(report, "fc.weight").action()).isEqualTo(EntryAction.COPIED);
    assertThat(report.summary().trainableInitializedNumel()).isEqualTo(8);
  }

  @Test
  void shouldFailStrictLoadWithPyTorchsExactErrorText() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("fc.weight", 3, 4), f32("old.weight", 1), f32("old.bias", 1)),
            model(param("fc.weight", 3, 4), param("fc.bias", 3)),
            STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(report.error())
        .isEqualTo(
            "Error(s) in loading state_dict for Net:\n\t"
                + "Missing key(s) in state_dict: \"fc.bias\". \n\t"
                + "Unexpected key(s) in state_dict: \"old.weight\", \"old.bias\". ");
  }

  @Test
  void shouldSucceedLenientLoadWhileListingMissingAndUnexpectedKeys() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("fc.weight", 3, 4), f32("old.weight", 1)),
            model(param("fc.weight", 3, 4), param("fc.bias", 3)),
            LENIENT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.error()).isNull();
    assertThat(report.missingKeys()).containsExactly("fc.bias");
    assertThat(report.unexpectedKeys()).containsExactly("old.weight");
  }

  @Test
  void shouldFailOnShapeMismatchEvenWhenLenient() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("embed.weight", 10, 4), f32("scale")),
            model(param("embed.weight", 12, 4), param("scale", 1)),
            LENIENT);

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    // The root's own "scale" is checked before the child module "embed", whatever the entry order.
    assertThat(report.error())
        .isEqualTo(
            "Error(s) in loading state_dict for Net:\n\t"
                + "size mismatch for scale: copying a param with shape torch.Size([]) from checkpoint,"
                + " the shape in current model is torch.Size([1]).\n\t"
                + "size mismatch for embed.weight: copying a param with shape torch.Size([10, 4]) from checkpoint,"
                + " the shape in current model is torch.Size([12, 4]).");
    assertThat(report.missingKeys()).isEmpty();
    assertThat(report.unexpectedKeys()).isEmpty();
    assertThat(report.mismatchedKeys())
        .extracting(
            Report.MismatchedKey::key,
            Report.MismatchedKey::checkpointShape,
            Report.MismatchedKey::targetShape,
            Report.MismatchedKey::action)
        .containsExactly(
            tuple("embed.weight", shape(10, 4), shape(12, 4), null),
            tuple("scale", shape(), shape(1), null));
  }

  @Test
  void shouldPutMissingAndUnexpectedBeforeSizeMismatchesInStrictError() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("a.weight", 2), f32("zzz", 1)),
            model(param("a.weight", 3), param("b.weight", 1)),
            STRICT);

    assertThat(report.error())
        .isEqualTo(
            "Error(s) in loading state_dict for Net:\n\t"
                + "Missing key(s) in state_dict: \"b.weight\". \n\t"
                + "Unexpected key(s) in state_dict: \"zzz\". \n\t"
                + "size mismatch for a.weight: copying a param with shape torch.Size([2]) from checkpoint,"
                + " the shape in current model is torch.Size([3]).");
  }

  @Test
  void shouldNullEveryActionOfAFailedPlan() {
    Report report =
        LoadPlanner.plan(checkpoint(f32("a", 1)), model(param("a", 1), param("b", 1)), STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(report.entries()).extracting(Report.Entry::action).containsOnlyNulls();
    assertThat(report.entries())
        .extracting(Report.Entry::status)
        .containsExactly(EntryStatus.LOADED, EntryStatus.INITIALIZED);
  }

  @Test
  void shouldListMissingKeysInModuleTraversalOrder() {
    // torch visits a module's own entries before its children's, whatever order the list came in.
    TargetArchitecture target = model(param("a.child.w", 1), param("a.w", 1), param("b.w", 1));

    Report report = LoadPlanner.plan(checkpoint(), target, LENIENT);

    assertThat(report.missingKeys()).containsExactly("a.w", "a.child.w", "b.w");
  }

  @Test
  void shouldListUnexpectedKeysModuleByModuleDepthFirst() {
    TargetArchitecture target =
        model(
            param("a.0.weight", 2),
            param("a.1.0.weight", 2),
            param("b.x.weight", 2),
            param("b.y.weight", 2));
    CheckpointIndex ckpt =
        checkpoint(
            f32("b.y.extra", 1),
            f32("a.1.0.extra", 1),
            f32("root_extra", 1),
            f32("a.extra", 1),
            f32("b.extra", 1),
            f32("a.1.extra", 1),
            f32("counter2", 1));

    Report report = LoadPlanner.plan(ckpt, target, LENIENT);

    assertThat(report.unexpectedKeys())
        .containsExactly(
            "root_extra",
            "counter2",
            "a.extra",
            "a.1.extra",
            "a.1.0.extra",
            "b.extra",
            "b.y.extra");
  }

  @Test
  void shouldIgnoreKeysUnderAParameterOrNamingAModuleAsPyTorchDoes() {
    Report report =
        LoadPlanner.plan(
            checkpoint(
                f32("fc.weight", 2), f32("fc", 1), f32("fc.weight.extra", 1), f32("fc9.weight", 1)),
            model(param("fc.weight", 2)),
            STRICT);

    assertThat(report.unexpectedKeys()).containsExactly("fc9.weight");
    assertThat(report.unused())
        .extracting(Report.Unused::sourceKey)
        .containsExactly("fc", "fc.weight.extra", "fc9.weight");
  }

  @Test
  void shouldReportExtraStateBeforeTheModulesOtherUnexpectedKeys() {
    Report report =
        LoadPlanner.plan(
            checkpoint(
                f32("fc.weight", 2),
                f32("fc.other", 1),
                f32("fc._extra_state", 1),
                f32("_extra_state", 1)),
            model(param("fc.weight", 2)),
            LENIENT);

    assertThat(report.unexpectedKeys())
        .containsExactly("_extra_state", "fc._extra_state", "fc.other");
  }

  @Test
  void shouldReportKeysUnderParameterlessModulesAtTheirNearestVisibleAncestor() {
    // Known limitation: "act" (a ReLU) is invisible in a state dict, so "act.weight" is reported
    // while
    // the root is checked; torch reports it while visiting "act". Only the order can differ.
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("fc2.extra", 1), f32("act.weight", 1)),
            model(param("fc1.weight", 1), param("fc2.weight", 1)),
            LENIENT);

    assertThat(report.unexpectedKeys()).containsExactly("act.weight", "fc2.extra");
  }

  @Test
  void shouldLoadAOneDimTensorIntoAScalarAsPyTorchStillAllows() {
    Report report = LoadPlanner.plan(checkpoint(f32("scale", 2)), model(param("scale")), STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(entry(report, "scale").status()).isEqualTo(EntryStatus.LOADED);
    assertThat(entry(report, "scale").sourceShape()).isEqualTo(shape(2));
    assertThat(report.summary().loadedNumel()).isEqualTo(1);
  }

  @Test
  void shouldTreatAnEmptyVectorIntoAScalarAsAMismatch() {
    Report report = LoadPlanner.plan(checkpoint(f32("scale", 0)), model(param("scale")), LENIENT);

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(report.mismatchedKeys())
        .extracting(Report.MismatchedKey::key)
        .containsExactly("scale");
  }

  // --- mismatch policies
  // -------------------------------------------------------------------------------

  @Test
  void shouldKeepInitialValueOfMismatchedKeysUnderSkip() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("embed.weight", 10, 4), f32("head.weight", 3, 4)),
            model(param("embed.weight", 12, 4), param("head.weight", 3, 4)),
            STRICT.withOnShapeMismatch(ShapeMismatchPolicy.SKIP));

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.missingKeys()).isEmpty();
    assertThat(report.unexpectedKeys()).isEmpty();
    assertThat(report.unused()).isEmpty();
    assertThat(entry(report, "embed.weight"))
        .extracting(Report.Entry::status, Report.Entry::action, Report.Entry::sourceKey)
        .containsExactly(EntryStatus.SHAPE_MISMATCH, EntryAction.SKIPPED, "embed.weight");
    assertThat(report.mismatchedKeys())
        .extracting(Report.MismatchedKey::action)
        .containsExactly(EntryAction.SKIPPED);
    assertThat(report.summary().loadedNumel()).isEqualTo(12);
    assertThat(report.summary().initializedNumel()).isEqualTo(48);
    assertThat(report.summary().shapeMismatched()).isEqualTo(1);
  }

  @Test
  void shouldCopyTheOverlappingBlockOfAGrownEmbedding() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("embed.weight", 10, 4), f32("proj.weight", 6, 8)),
            model(param("embed.weight", 12, 4), param("proj.weight", 4, 9)),
            STRICT.withOnShapeMismatch(ShapeMismatchPolicy.COPY_OVERLAP));

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.entries())
        .extracting(Report.Entry::action)
        .containsExactly(EntryAction.COPIED_OVERLAP, EntryAction.COPIED_OVERLAP);
    assertThat(report.summary().loadedNumel()).isEqualTo(40 + 32);
    assertThat(report.summary().targetNumel()).isEqualTo(48 + 36);
    assertThat(report.summary().warmStartedFraction()).isEqualTo(72.0 / 84.0);
  }

  @Test
  void shouldSkipARankMismatchUnderCopyOverlap() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("conv.weight", 6, 4, 1, 1)),
            model(param("conv.weight", 6, 4)),
            STRICT.withOnShapeMismatch(ShapeMismatchPolicy.COPY_OVERLAP));

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(entry(report, "conv.weight").action()).isEqualTo(EntryAction.SKIPPED);
    assertThat(report.summary().loadedNumel()).isZero();
  }

  // --- dtypes
  // ----------------------------------------------------------------------------------------

  @Test
  void shouldCastToTheTargetDtypeByDefault() {
    Report report =
        LoadPlanner.plan(
            checkpoint(tensor("w", DType.FLOAT16, 2), f32("b", 2)),
            model(param("w", 2), param("b", 2)),
            STRICT);

    assertThat(report.entries())
        .extracting(Report.Entry::action, Report.Entry::dtype, Report.Entry::sourceDtype)
        .containsExactly(
            tuple(EntryAction.CAST, "float32", "float16"),
            tuple(EntryAction.COPIED, "float32", "float32"));
  }

  @Test
  void shouldKeepTheCheckpointDtypeUnderCheckpointPolicy() {
    Report report =
        LoadPlanner.plan(
            checkpoint(tensor("w", DType.BFLOAT16, 2)),
            model(param("w", 2), param("new", 1)),
            LENIENT.withDtype(DtypePolicy.CHECKPOINT));

    assertThat(entry(report, "w"))
        .extracting(Report.Entry::action, Report.Entry::dtype)
        .containsExactly(EntryAction.COPIED, "bfloat16");
    assertThat(entry(report, "new").dtype()).isEqualTo("float32");
  }

  // --- BatchNorm's num_batches_tracked
  // ----------------------------------------------------------------

  @Test
  void shouldDefaultBatchNormCounterWhenMetadataSaysVersionOne() {
    Report report =
        LoadPlanner.plan(
            checkpoint(Map.of("bn", 1L), batchNormTensors("bn.", 3, false)),
            model(batchNorm("bn.", 3)),
            STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.missingKeys()).isEmpty();
    assertThat(entry(report, "bn.num_batches_tracked"))
        .extracting(
            Report.Entry::status,
            Report.Entry::action,
            Report.Entry::kind,
            Report.Entry::requiresGrad)
        .containsExactly(EntryStatus.INITIALIZED, EntryAction.DEFAULTED, EntryKind.BUFFER, false);
  }

  @Test
  void shouldDefaultBatchNormCounterWhenMetadataHasNoVersionForTheModule() {
    Report report =
        LoadPlanner.plan(
            checkpoint(batchNormTensors("bn.", 3, false)), model(batchNorm("bn.", 3)), STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(entry(report, "bn.num_batches_tracked").action()).isEqualTo(EntryAction.DEFAULTED);
  }

  @Test
  void shouldReportBatchNormCounterMissingWhenMetadataSaysVersionTwo() {
    Report report =
        LoadPlanner.plan(
            checkpoint(Map.of("bn", 2L), batchNormTensors("bn.", 3, false)),
            model(batchNorm("bn.", 3)),
            STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(report.missingKeys()).containsExactly("bn.num_batches_tracked");
  }

  @Test
  void shouldDefaultTheCounterOfARootBatchNorm() {
    Report report =
        LoadPlanner.plan(
            checkpoint(Map.of("", 1L), batchNormTensors("", 3, false)),
            model(batchNorm("", 3)),
            STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(entry(report, "num_batches_tracked").action()).isEqualTo(EntryAction.DEFAULTED);
  }

  @Test
  void shouldOnlyTreatAnInt64ScalarBesideRunningStatsAsTheBatchNormCounter() {
    Report report =
        LoadPlanner.plan(
            checkpoint(),
            model(
                buffer("x.num_batches_tracked", DType.INT64),
                buffer("y.num_batches_tracked", DType.INT32),
                buffer("y.running_mean", DType.FLOAT32, 1),
                buffer("y.running_var", DType.FLOAT32, 1)),
            LENIENT);

    assertThat(report.missingKeys())
        .containsExactly(
            "x.num_batches_tracked", "y.num_batches_tracked", "y.running_mean", "y.running_var");
  }

  // --- key rules
  // ---------------------------------------------------------------------------------------

  @Test
  void shouldStripADataParallelPrefixAndRewriteMetadataWithIt() {
    Map<String, Long> versions = Map.of("", 1L, "module.bn", 1L);
    CheckpointIndex ckpt = checkpoint(versions, batchNormTensors("module.bn.", 2, false));

    Report withRule =
        LoadPlanner.plan(
            ckpt,
            model(batchNorm("bn.", 2)),
            STRICT.withKeyRules(List.of(new KeyRule.StripPrefix("module."))));

    assertThat(withRule.outcome()).isEqualTo(Outcome.OK);
    assertThat(entry(withRule, "bn.weight").sourceKey()).isEqualTo("module.bn.weight");
    assertThat(entry(withRule, "bn.num_batches_tracked").action()).isEqualTo(EntryAction.DEFAULTED);
  }

  @Test
  void shouldSeeAVersionTwoModuleOnlyUnderItsRewrittenPrefix() {
    CheckpointIndex ckpt =
        checkpoint(Map.of("module.bn", 2L), batchNormTensors("module.bn.", 2, false));

    Report report =
        LoadPlanner.plan(
            ckpt,
            model(batchNorm("bn.", 2)),
            STRICT.withKeyRules(List.of(new KeyRule.StripPrefix("module."))));

    assertThat(report.missingKeys()).containsExactly("bn.num_batches_tracked");
  }

  @Test
  void shouldApplyKeyRulesInOrder() {
    List<KeyRule> rules =
        List.of(
            new KeyRule.StripPrefix("model."),
            new KeyRule.RegexRename("^layer(\\d+)\\.", "layers.$1."),
            new KeyRule.AddPrefix("net."));

    Report report =
        LoadPlanner.plan(
            checkpoint(f32("model.layer0.weight", 2), f32("model.layer1.weight", 2)),
            model(param("net.layers.0.weight", 2), param("net.layers.1.weight", 2)),
            STRICT.withKeyRules(rules));

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.entries())
        .extracting(Report.Entry::sourceKey)
        .containsExactly("model.layer0.weight", "model.layer1.weight");
  }

  @Test
  void shouldNameUnexpectedKeysAfterRulesAndUnusedKeysBefore() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("module.old", 1)),
            model(),
            LENIENT.withKeyRules(List.of(new KeyRule.StripPrefix("module."))));

    assertThat(report.unexpectedKeys()).containsExactly("old");
    assertThat(report.unused()).extracting(Report.Unused::sourceKey).containsExactly("module.old");
  }

  @Test
  void shouldLetTheLaterTensorWinAKeyTwoRulesRewriteTo() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("fc.weight", 2), f32("module.fc.weight", 2)),
            model(param("fc.weight", 2)),
            STRICT.withKeyRules(List.of(new KeyRule.StripPrefix("module."))));

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(entry(report, "fc.weight").sourceKey()).isEqualTo("module.fc.weight");
    assertThat(report.unused()).extracting(Report.Unused::sourceKey).containsExactly("fc.weight");
    assertThat(report.unexpectedKeys()).isEmpty();
  }

  @Test
  void shouldRewriteModulePrefixesLikeKeys() {
    assertThat(new KeyRule.StripPrefix("module.").applyToModule("module")).isEmpty();
    assertThat(new KeyRule.StripPrefix("module.").applyToModule("module.bn")).isEqualTo("bn");
    assertThat(new KeyRule.StripPrefix("module.").applyToModule("")).isEmpty();
    assertThat(new KeyRule.AddPrefix("backbone.").applyToModule("")).isEqualTo("backbone");
    assertThat(new KeyRule.AddPrefix("backbone.").applyToModule("bn")).isEqualTo("backbone.bn");
    assertThat(new KeyRule.RegexRename("^layer(\\d+)\\.", "layers.$1.").applyToModule("layer1.bn"))
        .isEqualTo("layers.1.bn");
  }

  // --- freeze
  // --------------------------------------------------------------------------------------------

  @Test
  void shouldFreezeEntriesMatchingAGlobAcrossDots() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("backbone.layer1.0.weight", 2)),
            model(
                param("backbone.layer1.0.weight", 2),
                param("backbone.new", 2),
                param("head.weight", 2)),
            LENIENT.withFreeze(List.of("backbone.*")));

    assertThat(report.entries())
        .extracting(Report.Entry::targetKey, Report.Entry::requiresGrad)
        .containsExactly(
            tuple("backbone.layer1.0.weight", false),
            tuple("backbone.new", false),
            tuple("head.weight", true));
    assertThat(report.summary().trainableInitializedNumel()).isEqualTo(2);
    assertThat(report.summary().initializedNumel()).isEqualTo(4);
  }

  @Test
  void shouldTreatGlobCharactersOtherThanStarLiterally() {
    Report report =
        LoadPlanner.plan(
            checkpoint(),
            model(param("a.b", 1), param("axb", 1)),
            LENIENT.withFreeze(List.of("a.b")));

    assertThat(report.entries())
        .extracting(Report.Entry::requiresGrad)
        .containsExactly(false, true);
  }

  // --- summary and unused
  // ---------------------------------------------------------------------------------

  @Test
  void shouldCountEveryTargetElementAsLoadedOrInitialized() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("a", 2, 3), f32("gone", 5)),
            model(param("a", 2, 3), param("b", 4), buffer("c", DType.FLOAT32, 2)),
            LENIENT);

    Report.Summary s = report.summary();
    assertThat(s)
        .extracting(
            Report.Summary::targetKeys,
            Report.Summary::loaded,
            Report.Summary::initialized,
            Report.Summary::shapeMismatched,
            Report.Summary::unused)
        .containsExactly(3, 1, 2, 0, 1);
    assertThat(s.targetNumel()).isEqualTo(12);
    assertThat(s.loadedNumel()).isEqualTo(6);
    assertThat(s.initializedNumel()).isEqualTo(6);
    assertThat(s.trainableInitializedNumel()).isEqualTo(4);
    assertThat(s.warmStartedFraction()).isEqualTo(0.5);
    assertThat(report.unused()).containsExactly(new Report.Unused("gone", "float32", shape(5), 0));
  }

  @Test
  void shouldReportAnEmptyTargetAsNothingWarmStarted() {
    Report report = LoadPlanner.plan(checkpoint(), model(), STRICT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.summary().warmStartedFraction()).isZero();
  }

  // --- suggested key rules
  // -------------------------------------------------------------------------------

  @Test
  void shouldSuggestStrippingADataParallelPrefixWithItsGain() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("module.fc.weight", 2), f32("module.fc.bias", 2)),
            model(param("fc.weight", 2), param("fc.bias", 2)),
            STRICT);

    assertThat(report.suggestedKeyRules()).isNotEmpty();
    assertThat(report.suggestedKeyRules().get(0))
        .isEqualTo(new Report.SuggestedKeyRule(new KeyRule.StripPrefix("module."), 2));
  }

  @Test
  void shouldSuggestAddingAPrefixTheTargetKeysShare() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("conv.weight", 2), f32("bn.weight", 2)),
            model(
                param("backbone.conv.weight", 2),
                param("backbone.bn.weight", 2),
                param("head.weight", 1)),
            LENIENT);

    assertThat(report.suggestedKeyRules())
        .contains(new Report.SuggestedKeyRule(new KeyRule.AddPrefix("backbone."), 2));
    assertThat(report.suggestedKeyRules().get(0).gain()).isEqualTo(2);
  }

  @Test
  void shouldSuggestRenamingNumberedLayers() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("layer0.weight", 2), f32("layer1.weight", 2)),
            model(param("layers.0.weight", 2), param("layers.1.weight", 2)),
            STRICT);

    assertThat(report.suggestedKeyRules())
        .contains(
            new Report.SuggestedKeyRule(
                new KeyRule.RegexRename("^layer(\\d+)\\.", "layers.$1."), 2));
  }

  @Test
  void shouldSuggestNothingThatLoadsNothingMore() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("module.unrelated", 2), f32("fc.weight", 2)),
            model(param("fc.weight", 2), param("fc.bias", 2)),
            LENIENT);

    assertThat(report.suggestedKeyRules()).isEmpty();
  }

  // --- scale
  // --------------------------------------------------------------------------------------------

  @Test
  void shouldPlanTenThousandEntriesAgainstTenThousandTensors() {
    int n = 10_000;
    TensorInfo[] tensors = new TensorInfo[n];
    TargetEntry[] entries = new TargetEntry[n];
    for (int i = 0; i < n; i++) {
      tensors[i] = f32("module.blocks." + (i / 10) + ".p" + (i % 10), 4);
      entries[i] = param("blocks." + (i / 10) + ".p" + (i % 10), 4);
    }

    Report report = LoadPlanner.plan(checkpoint(tensors), model(entries), STRICT);

    assertThat(report.missingKeys()).hasSize(n);
    assertThat(report.unexpectedKeys()).hasSize(n);
    assertThat(report.suggestedKeyRules().get(0).gain()).isEqualTo(n);
  }

  // --- architectures from a saved state dict
  // ----------------------------------------------------------------

  @Test
  void shouldTakeKindsAndRequiresGradFromAKeepVarsStateDict() {
    TensorInfo w =
        new TensorInfo(
            "fc.weight",
            DType.FLOAT32,
            shape(2),
            shape(1),
            0,
            "0",
            0,
            8,
            ByteOrder.LITTLE_ENDIAN,
            true,
            true);
    TensorInfo frozen =
        new TensorInfo(
            "fc.bias",
            DType.FLOAT32,
            shape(2),
            shape(1),
            0,
            "1",
            0,
            8,
            ByteOrder.LITTLE_ENDIAN,
            true,
            false);
    TensorInfo buf =
        new TensorInfo(
            "bn.running_mean",
            DType.FLOAT32,
            shape(2),
            shape(1),
            0,
            "2",
            0,
            8,
            ByteOrder.LITTLE_ENDIAN,
            false,
            null);

    TargetArchitecture arch = TargetArchitectures.fromStateDict("Net", checkpoint(w, frozen, buf));

    assertThat(arch.entries())
        .extracting(TargetEntry::kind, TargetEntry::requiresGrad, TargetEntry::hasInitialValue)
        .containsExactly(
            tuple(EntryKind.PARAMETER, true, true),
            tuple(EntryKind.PARAMETER, false, true),
            tuple(EntryKind.BUFFER, false, true));
  }

  @Test
  void shouldMarkKindsUnknownForAPlainStateDict() {
    TargetArchitecture arch =
        TargetArchitectures.fromStateDict(
            "Net", checkpoint(f32("fc.weight", 2), tensor("step", DType.INT64)));

    assertThat(arch.entries())
        .extracting(TargetEntry::kind, TargetEntry::requiresGrad)
        .containsExactly(tuple(EntryKind.UNKNOWN, true), tuple(EntryKind.UNKNOWN, false));
  }

  // --- limits on pattern work
  // ----------------------------------------------------------------------------

  @Test
  void shouldRefuseAPlanWhoseKeyRulesRunPastTheTimeLimit() {
    LoadOptionsRejected e =
        catchThrowableOfType(
            () ->
                LoadPlanner.plan(
                    checkpoint(f32("module.a", 1)),
                    model(param("a", 1)),
                    LENIENT.withKeyRules(List.of(new KeyRule.StripPrefix("module."))),
                    Duration.ZERO),
            LoadOptionsRejected.class);

    assertThat(e.field()).isEqualTo("keyRules");
    assertThat(e.reason()).contains("applying the key rules to 1 keys took longer than 0 ms");
  }

  @Test
  void shouldRefuseAPlanWhoseFreezePatternsRunPastTheTimeLimit() {
    LoadOptionsRejected e =
        catchThrowableOfType(
            () ->
                LoadPlanner.plan(
                    checkpoint(f32("a", 1)),
                    model(param("a", 1)),
                    LENIENT.withFreeze(List.of("a*")),
                    Duration.ZERO),
            LoadOptionsRejected.class);

    assertThat(e.field()).isEqualTo("freeze");
  }

  @Test
  void shouldNameTheRuleThatGrowsACheckpointKeyPastTheKeyLimit() {
    LoadOptionsRejected e =
        catchThrowableOfType(
            () ->
                LoadPlanner.plan(
                    checkpoint(f32("a".repeat(600), 1)),
                    model(param("a", 1)),
                    LENIENT.withKeyRules(
                        List.of(
                            new KeyRule.StripPrefix("module."),
                            new KeyRule.RegexRename("", "xy")))),
            LoadOptionsRejected.class);

    assertThat(e.field()).isEqualTo("keyRules[1]");
    assertThat(e.reason()).contains("to more than 1024 bytes");
  }

  @Test
  void shouldDropSuggestionsThatCannotBeRulesInsteadOfFailing() {
    // The first component is too long to become a pattern once escaped, and adding the target's
    // common prefix to a 1,000-byte key would pass the key limit.
    String word = "w.".repeat(300);
    Report report =
        LoadPlanner.plan(
            checkpoint(f32(word + "x".repeat(400) + ".weight", 2), f32("y".repeat(1000), 2)),
            model(param("net.layer1.weight", 2), param("net.layer1.bias", 2)),
            LENIENT);

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.summary().loaded()).isZero();
  }
}
