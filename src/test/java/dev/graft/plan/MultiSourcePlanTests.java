package dev.graft.plan;

import static dev.graft.plan.PlanFixtures.LENIENT;
import static dev.graft.plan.PlanFixtures.STRICT;
import static dev.graft.plan.PlanFixtures.checkpoint;
import static dev.graft.plan.PlanFixtures.entry;
import static dev.graft.plan.PlanFixtures.f32;
import static dev.graft.plan.PlanFixtures.model;
import static dev.graft.plan.PlanFixtures.param;
import static dev.graft.plan.PlanFixtures.tensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultiSourcePlanTests {

  private static final TargetArchitecture ENCODER_AND_HEAD =
      model(
          param("encoder.conv.weight", 4, 2),
          param("encoder.conv.bias", 4),
          param("head.weight", 3, 4),
          param("head.bias", 3));

  private static final CheckpointIndex RESNET =
      checkpoint(
          f32("conv.weight", 4, 2),
          f32("conv.bias", 4),
          f32("fc.weight", 10, 4),
          f32("fc.bias", 10));

  private static final CheckpointIndex CLASSIFIER =
      checkpoint(
          f32("backbone.conv.weight", 4, 2),
          f32("backbone.conv.bias", 4),
          f32("head.weight", 3, 4),
          f32("head.bias", 3));

  private static PlanSource source(
      CheckpointIndex index, List<KeyRule> rules, List<String> include, List<String> exclude) {
    return new PlanSource(index, rules, include, exclude);
  }

  @Test
  void shouldTakeTheEncoderFromOneCheckpointAndTheHeadFromAnother() {
    Report report =
        LoadPlanner.plan(
            List.of(
                source(
                    RESNET,
                    List.of(new KeyRule.AddPrefix("encoder.")),
                    List.of("encoder.conv.*"),
                    List.of()),
                source(CLASSIFIER, List.of(), List.of("head.*"), List.of())),
            ENCODER_AND_HEAD,
            STRICT);

    assertThat(report.outcome()).as(report.error()).isEqualTo(Outcome.OK);
    assertThat(report.entries())
        .extracting(Report.Entry::targetKey, Report.Entry::sourceKey, Report.Entry::sourceIndex)
        .containsExactly(
            tuple("encoder.conv.weight", "conv.weight", 0),
            tuple("encoder.conv.bias", "conv.bias", 0),
            tuple("head.weight", "head.weight", 1),
            tuple("head.bias", "head.bias", 1));
    // Filtered-out tensors are unused, not unexpected: they were never offered.
    assertThat(report.unexpectedKeys()).isEmpty();
    assertThat(report.unused())
        .extracting(Report.Unused::sourceKey, Report.Unused::sourceIndex)
        .containsExactly(
            tuple("fc.weight", 0),
            tuple("fc.bias", 0),
            tuple("backbone.conv.weight", 1),
            tuple("backbone.conv.bias", 1));
  }

  @Test
  void shouldLetTheFirstSourceWinAKeyBothOffer() {
    CheckpointIndex first = checkpoint(f32("head.weight", 3, 4));
    Report report =
        LoadPlanner.plan(
            List.of(PlanSource.of(first), PlanSource.of(CLASSIFIER)), ENCODER_AND_HEAD, LENIENT);

    assertThat(entry(report, "head.weight").sourceIndex()).isZero();
    assertThat(entry(report, "head.bias").sourceIndex()).isEqualTo(1);
    assertThat(report.unused())
        .extracting(Report.Unused::sourceKey, Report.Unused::sourceIndex)
        .contains(tuple("head.weight", 1));
    // The merged dict holds each key once: backbone.* is unexpected once each.
    assertThat(report.unexpectedKeys())
        .containsExactly("backbone.conv.weight", "backbone.conv.bias");
  }

  @Test
  void shouldListUnexpectedKeysInSourceOrderAndFailStrictAsTorchDoesForTheMergedDict() {
    Report report =
        LoadPlanner.plan(
            List.of(
                source(
                    checkpoint(f32("x", 1), f32("head.weight", 3, 4)),
                    List.of(),
                    List.of(),
                    List.of()),
                source(
                    checkpoint(f32("y", 1), f32("head.bias", 3)), List.of(), List.of(), List.of())),
            model(param("head.weight", 3, 4), param("head.bias", 3)),
            STRICT);

    assertThat(report.unexpectedKeys()).containsExactly("x", "y");
    assertThat(report.error())
        .isEqualTo(
            "Error(s) in loading state_dict for Net:\n\tUnexpected key(s) in state_dict: \"x\", \"y\". ");
  }

  @Test
  void shouldPlanOneSourceWithoutGlobsExactlyAsACheckpointId() {
    LoadOptions options = LENIENT.withKeyRules(List.of(new KeyRule.StripPrefix("backbone.")));
    Report single = LoadPlanner.plan(CLASSIFIER, ENCODER_AND_HEAD, options);
    Report sources =
        LoadPlanner.plan(List.of(PlanSource.of(CLASSIFIER)), ENCODER_AND_HEAD, options);

    assertThat(sources).isEqualTo(single);
  }

  @Test
  void shouldApplyTheOptionsRulesBeforeEachSourcesOwn() {
    Report report =
        LoadPlanner.plan(
            List.of(
                source(
                    checkpoint(f32("module.conv.weight", 4, 2), f32("module.conv.bias", 4)),
                    List.of(new KeyRule.AddPrefix("encoder.")),
                    List.of(),
                    List.of())),
            ENCODER_AND_HEAD,
            LENIENT.withKeyRules(List.of(new KeyRule.StripPrefix("module."))));

    assertThat(entry(report, "encoder.conv.weight").sourceKey()).isEqualTo("module.conv.weight");
  }

  @Test
  void shouldRefuseASourceWhoseGlobsLeaveNothing() {
    SourcesRejected e =
        catchThrowableOfType(
            SourcesRejected.class,
            () ->
                LoadPlanner.plan(
                    List.of(
                        PlanSource.of(RESNET),
                        source(CLASSIFIER, List.of(), List.of("decoder.*"), List.of())),
                    ENCODER_AND_HEAD,
                    LENIENT));

    assertThat(e.field()).isEqualTo("sources[1]");
    assertThat(e.reason()).contains("offers no tensor").contains("decoder.*");
  }

  @Test
  void shouldNameTheSourceOfAnInvalidRuleOrGlob() {
    SourcesRejected rule =
        catchThrowableOfType(
            SourcesRejected.class,
            () ->
                LoadPlanner.plan(
                    List.of(
                        PlanSource.of(RESNET),
                        source(
                            CLASSIFIER,
                            List.of(new KeyRule.StripPrefix("")),
                            List.of(),
                            List.of())),
                    ENCODER_AND_HEAD,
                    LENIENT));
    assertThat(rule.field()).isEqualTo("sources[1].keyRules[0].prefix");

    SourcesRejected glob =
        catchThrowableOfType(
            SourcesRejected.class,
            () ->
                LoadPlanner.plan(
                    List.of(source(CLASSIFIER, List.of(), List.of("a\0"), List.of())),
                    ENCODER_AND_HEAD,
                    LENIENT));
    assertThat(glob.field()).isEqualTo("sources[0].include[0]");
  }

  @Test
  void shouldApplyTheDtypePolicyPerSourceTensor() {
    Report report =
        LoadPlanner.plan(
            List.of(
                source(
                    checkpoint(tensor("head.weight", DType.FLOAT16, 3, 4)),
                    List.of(),
                    List.of(),
                    List.of()),
                PlanSource.of(CLASSIFIER)),
            ENCODER_AND_HEAD,
            LENIENT);

    assertThat(entry(report, "head.weight").action()).isEqualTo(EntryAction.CAST);
    assertThat(entry(report, "head.bias").action()).isEqualTo(EntryAction.COPIED);
  }

  @Test
  void shouldGateOnWhatAllSourcesTogetherLoad() {
    LoadOptions gated = LENIENT.withRequire(List.of(new CoverageGate("", 1.0)));
    Report both =
        LoadPlanner.plan(
            List.of(
                source(RESNET, List.of(new KeyRule.AddPrefix("encoder.")), List.of(), List.of()),
                source(CLASSIFIER, List.of(), List.of("head.*"), List.of())),
            ENCODER_AND_HEAD,
            gated);
    Report one =
        LoadPlanner.plan(
            List.of(
                source(RESNET, List.of(new KeyRule.AddPrefix("encoder.")), List.of(), List.of())),
            ENCODER_AND_HEAD,
            gated);

    assertThat(both.outcome()).isEqualTo(Outcome.OK);
    assertThat(one.outcome()).isEqualTo(Outcome.FAILED);
  }
}
