package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayoutDiffTests {

  private static LayoutDiff.Key key(String k, DType dtype, Long... shape) {
    return new LayoutDiff.Key(k, dtype, List.of(shape));
  }

  @Test
  void shouldSortKeysIntoAddedRemovedChangedAndUnchanged() {
    LayoutDiff.Result d =
        LayoutDiff.compare(
            List.of(
                key("a", DType.FLOAT32, 2L),
                key("b", DType.FLOAT32, 2L),
                key("c", DType.FLOAT32, 2L),
                key("gone", DType.FLOAT32, 1L)),
            List.of(
                key("new", DType.INT64),
                key("c", DType.FLOAT16, 3L),
                key("b", DType.BFLOAT16, 2L),
                key("a", DType.FLOAT32, 2L)));

    assertThat(d.added()).containsExactly(new LayoutDiff.Side("new", "int64", List.of()));
    assertThat(d.removed()).containsExactly(new LayoutDiff.Side("gone", "float32", List.of(1L)));
    assertThat(d.shapeChanged())
        .containsExactly(new LayoutDiff.ShapeChange("c", List.of(2L), List.of(3L)));
    assertThat(d.dtypeChanged())
        .containsExactly(
            new LayoutDiff.DtypeChange("b", "float32", "bfloat16"),
            new LayoutDiff.DtypeChange("c", "float32", "float16"));
    assertThat(d.unchanged()).isEqualTo(1);
  }

  @Test
  void shouldSuggestTheRenameOfNumberedLayers() {
    LayoutDiff.Result d =
        LayoutDiff.compare(
            List.of(
                key("layer0.weight", DType.FLOAT32, 2L), key("layer1.weight", DType.FLOAT32, 2L)),
            List.of(
                key("layers.0.weight", DType.FLOAT32, 2L),
                key("layers.1.weight", DType.FLOAT32, 2L)));

    assertThat(d.suggestedKeyRules())
        .contains(
            new Report.SuggestedKeyRule(
                new KeyRule.RegexRename("^layer(\\d+)\\.", "layers.$1."), 2));
  }
}
