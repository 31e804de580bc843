package dev.graft.console;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.plan.DtypePolicy;
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

/**
 * The preview: pick a checkpoint and an architecture, set the options, read the report, adopt a
 * suggested key rule with one click, and start the run from the same form.
 */
@Controller
@Hidden
class PreviewPages {

  private final PreviewService previews;
  private final RunService runs;
  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;

  PreviewPages(
      PreviewService previews,
      RunService runs,
      CheckpointService checkpoints,
      ArchitectureService architectures) {
    this.previews = previews;
    this.runs = runs;
    this.checkpoints = checkpoints;
    this.architectures = architectures;
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
    Report report = previews.preview(form.checkpoint(), form.architecture(), form.options());
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

  private void choices(Model model) {
    model.addAttribute(
        "checkpoints", checkpoints.list(null, null, new PageRequest(0, 200)).items());
    model.addAttribute("architectures", architectures.list(new PageRequest(0, 200)).items());
    model.addAttribute("mismatchPolicies", ShapeMismatchPolicy.values());
    model.addAttribute("dtypePolicies", DtypePolicy.values());
  }
}
