package dev.graft.console;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.plan.DtypePolicy;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import dev.graft.plan.ShapeMismatchPolicy;
import dev.graft.preview.PreviewService;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.WarmStartRequest;
import io.swagger.v3.oas.annotations.Hidden;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The preview: pick a checkpoint and an architecture, set the options (coverage gates included),
 * read the report, adopt a suggested key rule with one click, pin a set of options to see how
 * another set differs from it, and start the run from the same form.
 */
@Controller
@Hidden
class PreviewPages {

  private final PreviewService previews;
  private final RunService runs;
  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final JsonMapper json;

  PreviewPages(
      PreviewService previews,
      RunService runs,
      CheckpointService checkpoints,
      ArchitectureService architectures,
      JsonMapper json) {
    this.previews = previews;
    this.runs = runs;
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.json = json;
  }

  @GetMapping("/console/preview")
  String form(
      @org.springframework.web.bind.annotation.RequestParam(required = false) UUID checkpoint,
      @org.springframework.web.bind.annotation.RequestParam(required = false) UUID architecture,
      Model model) {
    choices(model);
    model.addAttribute("form", PreviewForm.empty(checkpoint, architecture));
    return "console/preview";
  }

  @PostMapping("/console/preview")
  String preview(@ModelAttribute PreviewForm posted, Model model) {
    PreviewForm form = posted.withRuleAdded();
    choices(model);
    model.addAttribute("form", form);
    if (form.checkpoint() == null || form.architecture() == null) {
      model.addAttribute(
          "formError", "Choose a checkpoint and an architecture to see what loading does.");
      return "console/preview";
    }
    LoadOptions options = form.options();
    Report report = previews.preview(form.checkpoint(), form.architecture(), options);
    String pinned =
        "pin".equals(form.compare())
            ? json.writeValueAsString(options)
            : "unpin".equals(form.compare()) ? null : blankToNull(form.baseline());
    form = form.withBaseline(pinned);
    model.addAttribute("form", form);
    if (pinned != null) {
      LoadOptions baseline = baseline(pinned);
      // The same service, the same rules: the pinned options are previewed as the form's are.
      Report before = previews.preview(form.checkpoint(), form.architecture(), baseline);
      model.addAttribute("comparison", ReportComparison.of(before, report));
      model.addAttribute("pinnedOptions", describe(baseline));
    }
    model.addAttribute("report", report);
    model.addAttribute("tree", ReportView.tree(report));
    model.addAttribute(
        "suggestions",
        report.suggestedKeyRules().stream()
            .map(s -> new String[] {KeyRuleText.format(s.rule()), String.valueOf(s.gain())})
            .toList());
    return "console/preview";
  }

  @PostMapping("/console/runs")
  String start(@ModelAttribute PreviewForm form) {
    if (form.model() == null || form.model().isBlank()) {
      throw new InvalidInput("output.model", "is required: the model the new version belongs to");
    }
    List<String> aliases =
        form.aliases() == null || form.aliases().isBlank()
            ? List.of()
            : Arrays.stream(form.aliases().split("[,\\s]+")).filter(a -> !a.isBlank()).toList();
    WarmStartRequest request =
        new WarmStartRequest(
            form.checkpoint(),
            form.architecture(),
            form.options(),
            new WarmStartRequest.Output(
                form.model().strip(),
                form.formats() == null || form.formats().isEmpty()
                    ? null
                    : new ArrayList<>(form.formats()),
                null,
                null,
                aliases));
    Run run = runs.create(request, null).resource();
    return "redirect:/console/runs/" + run.id();
  }

  private LoadOptions baseline(String pinned) {
    try {
      return json.readValue(pinned, LoadOptions.class);
    } catch (JacksonException e) {
      // LoadOptionsRejected (a rule or gate that is not valid) passes through as the API's 422.
      throw new InvalidInput("baseline", "is not the JSON of a set of load options");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** A set of options in the form's words, a line each. */
  static List<String> describe(LoadOptions o) {
    List<String> out = new ArrayList<>();
    out.add("strict " + o.strict());
    o.keyRules().forEach(r -> out.add("key rule " + KeyRuleText.format(r)));
    out.add("on a shape mismatch " + o.onShapeMismatch());
    out.add("dtype of the " + o.dtype());
    o.freeze().forEach(f -> out.add("freeze " + f));
    o.require().forEach(g -> out.add("require " + GateText.format(g)));
    return out;
  }

  private void choices(Model model) {
    model.addAttribute(
        "checkpoints", checkpoints.list(null, null, new PageRequest(0, 200)).items());
    model.addAttribute("architectures", architectures.list(new PageRequest(0, 200)).items());
    model.addAttribute("mismatchPolicies", ShapeMismatchPolicy.values());
    model.addAttribute("dtypePolicies", DtypePolicy.values());
  }
}
