package dev.graft.plan;

import static dev.graft.plan.PlanFixtures.LENIENT;
import static dev.graft.plan.PlanFixtures.STRICT;
import static dev.graft.plan.PlanFixtures.checkpoint;
import static dev.graft.plan.PlanFixtures.f32;
import static dev.graft.plan.PlanFixtures.model;
import static dev.graft.plan.PlanFixtures.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class CoverageGateTests {

  // encoder: 6 + 2 = 8 elements, head: 3 elements
  private static final TargetArchitecture NET =
      model(
          param("encoder.0.weight", 2, 3),
          param("encoder.0.bias", 2),
          param("head.weight", 1, 2),
          param("head.bias", 1));

  private static LoadOptions gates(LoadOptions base, CoverageGate... gates) {
    return base.withRequire(List.of(gates));
  }

  @Test
  void shouldPassAGateWhenEverythingUnderThePrefixLoads() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("encoder.0.weight", 2, 3), f32("encoder.0.bias", 2)),
            NET,
            gates(LENIENT, new CoverageGate("encoder.", 1.0)));

    assertThat(report.outcome()).isEqualTo(Outcome.OK);
    assertThat(report.coverage())
        .extracting(
            Report.Coverage::prefix,
            Report.Coverage::targetKeys,
            Report.Coverage::targetNumel,
            Report.Coverage::loadedNumel,
            Report.Coverage::loadedFraction,
            Report.Coverage::met)
        .containsExactly(tuple("encoder.", 2, 8L, 8L, 1.0, true));
    assertThat(report.error()).isNull();
  }

  @Test
  void shouldFailALenientPlanBelowAGateNamingThePrefixAndBothFractions() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("encoder.0.weight", 2, 3)),
            NET,
            gates(LENIENT, new CoverageGate("encoder.", 0.9), new CoverageGate("head.", 0.0)));

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(report.coverage().get(0).loadedFraction()).isEqualTo(0.75);
    assertThat(report.coverage().get(0).met()).isFalse();
    assertThat(report.coverage().get(1).met()).isTrue();
    assertThat(report.error())
        .isEqualTo(
            "Coverage requirement(s) not met for Net:\n"
                + "\tcoverage gate 'encoder.': loaded fraction 0.75 (6 of 8 elements) is below the"
                + " required 0.9");
    // A failed plan executes nothing, as for PyTorch's failures.
    assertThat(report.entries()).allMatch(e -> e.action() == null);
    // The lists PyTorch gives stay as they are.
    assertThat(report.missingKeys()).containsExactly("encoder.0.bias", "head.weight", "head.bias");
  }

  @Test
  void shouldCountTheOverlapOfACopiedBlockTowardsAGate() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("encoder.0.weight", 1, 3), f32("encoder.0.bias", 2)),
            NET,
            gates(
                LENIENT.withOnShapeMismatch(ShapeMismatchPolicy.COPY_OVERLAP),
                new CoverageGate("encoder.", 0.625)));

    assertThat(report.coverage().get(0).loadedNumel()).isEqualTo(5);
    assertThat(report.coverage().get(0).loadedFraction()).isEqualTo(0.625);
    assertThat(report.outcome()).isEqualTo(Outcome.OK);
  }

  @Test
  void shouldAppendUnmetGatesToPyTorchsTextInAStrictFailure() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("head.weight", 1, 2), f32("head.bias", 1)),
            NET,
            gates(STRICT, new CoverageGate("encoder.", 0.5)));

    assertThat(report.error())
        .startsWith(
            "Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict:"
                + " \"encoder.0.weight\", \"encoder.0.bias\". ")
        .endsWith(
            "\nCoverage requirement(s) not met for Net:\n"
                + "\tcoverage gate 'encoder.': loaded fraction 0.0 (0 of 8 elements) is below the"
                + " required 0.5");
  }

  @Test
  void shouldFailAGateWhosePrefixMatchesNoTargetKey() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("encoder.0.weight", 2, 3), f32("encoder.0.bias", 2)),
            NET,
            gates(LENIENT, new CoverageGate("encoderr.", 0.0)));

    assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(report.error()).contains("coverage gate 'encoderr.' matches no target key");
  }

  @Test
  void shouldCoverTheWholeModelWithTheEmptyPrefix() {
    Report report =
        LoadPlanner.plan(
            checkpoint(f32("encoder.0.weight", 2, 3), f32("encoder.0.bias", 2)),
            NET,
            gates(LENIENT, new CoverageGate("", 0.7)));

    assertThat(report.coverage().get(0).loadedFraction()).isEqualTo(8.0 / 11);
    assertThat(report.outcome()).isEqualTo(Outcome.OK);
  }

  @Test
  void shouldRefuseGatesOutsideZeroToOneOrWithoutAFraction() {
    LoadOptionsRejected high =
        catchThrowableOfType(LoadOptionsRejected.class, () -> new CoverageGate("encoder.", 1.5));
    assertThat(high.field()).isEqualTo("minLoadedFraction");
    LoadOptionsRejected nan =
        catchThrowableOfType(
            LoadOptionsRejected.class, () -> new CoverageGate("encoder.", Double.NaN));
    assertThat(nan.field()).isEqualTo("minLoadedFraction");

    JsonMapper json = JsonMapper.builder().build();
    LoadOptions read =
        json.readValue(
            "{\"require\": [{\"prefix\": \"encoder.\", \"minLoadedFraction\": 1.0}]}",
            LoadOptions.class);
    assertThat(read.require()).containsExactly(new CoverageGate("encoder.", 1.0));
    Exception missing =
        catchThrowableOfType(
            Exception.class,
            () -> json.readValue("{\"require\": [{\"prefix\": \"encoder.\"}]}", LoadOptions.class));
    assertThat(missing).hasRootCauseInstanceOf(LoadOptionsRejected.class);
  }
}
