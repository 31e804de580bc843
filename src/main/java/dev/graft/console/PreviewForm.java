package dev.graft.console;

import dev.graft.plan.DtypePolicy;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.ShapeMismatchPolicy;
import java.util.List;
import java.util.UUID;

/**
 * The preview form, as posted.
 *
 * @param checkpoint the checkpoint's id
 * @param architecture the architecture's id
 * @param strict PyTorch's strict
 * @param rules key rules, one a line ({@link KeyRuleText})
 * @param addRule a suggested rule the person chose, appended to {@code rules}
 * @param onShapeMismatch the shape-mismatch policy
 * @param dtype the dtype policy
 * @param freeze freeze globs, one a line
 * @param require coverage gates, one a line ({@link GateText})
 * @param baseline the options pinned for comparison, as the API's JSON; {@code null} when none
 * @param compare {@code pin} to pin this preview's options for comparison, {@code unpin} to stop
 * @param model the model a run registers its version under
 * @param aliases aliases the new version gets, separated by commas or spaces
 * @param formats the artifact formats to write
 */
public record PreviewForm(
    UUID checkpoint,
    UUID architecture,
    boolean strict,
    String rules,
    String addRule,
    ShapeMismatchPolicy onShapeMismatch,
    DtypePolicy dtype,
    String freeze,
    String require,
    String baseline,
    String compare,
    String model,
    String aliases,
    List<String> formats) {

  static PreviewForm empty(UUID checkpoint, UUID architecture) {
    return new PreviewForm(
        checkpoint,
        architecture,
        true,
        "",
        null,
        ShapeMismatchPolicy.FAIL,
        DtypePolicy.TARGET,
        "",
        "",
        null,
        null,
        "",
        "",
        List.of("safetensors", "pytorch"));
  }

  /**
   * The form to show again: the chosen suggested rule appended to the rules, and the default
   * artifact formats ticked when none came (the run's part of the form appears with the report).
   */
  PreviewForm withRuleAdded() {
    List<String> f =
        formats == null || formats.isEmpty() ? List.of("safetensors", "pytorch") : formats;
    if (addRule == null || addRule.isBlank()) {
      return new PreviewForm(
          checkpoint,
          architecture,
          strict,
          rules,
          null,
          onShapeMismatch,
          dtype,
          freeze,
          require,
          baseline,
          compare,
          model,
          aliases,
          f);
    }
    String r = rules == null || rules.isBlank() ? addRule : rules.strip() + "\n" + addRule;
    return new PreviewForm(
        checkpoint,
        architecture,
        strict,
        r,
        null,
        onShapeMismatch,
        dtype,
        freeze,
        require,
        baseline,
        compare,
        model,
        aliases,
        f);
  }

  /** This form with another pinned baseline ({@code null} for none). */
  PreviewForm withBaseline(String pinned) {
    return new PreviewForm(
        checkpoint,
        architecture,
        strict,
        rules,
        addRule,
        onShapeMismatch,
        dtype,
        freeze,
        require,
        pinned,
        null,
        model,
        aliases,
        formats);
  }

  LoadOptions options() {
    return new LoadOptions(
        strict,
        KeyRuleText.parse(rules),
        onShapeMismatch,
        dtype,
        KeyRuleText.lines(freeze),
        0L,
        GateText.parse(require));
  }
}
