package dev.graft.console;

import dev.graft.plan.Report;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.RunStatus;
import io.swagger.v3.oas.annotations.Hidden;
import java.util.UUID;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Runs: the list by status, a run with live progress, its report, cancel. */
@Controller
@Hidden
class RunPages {

  private final RunService runs;

  RunPages(RunService runs) {
    this.runs = runs;
  }

  @GetMapping("/console/runs")
  String list(
      @RequestParam(required = false) String status,
      @RequestParam(defaultValue = "0") int page,
      Model model) {
    String s = status == null || status.isBlank() ? null : status;
    PageResponse<Run> found = runs.list(s, new PageRequest(page, Pager.SIZE));
    model.addAttribute("status", s);
    model.addAttribute("statuses", RunStatus.values());
    model.addAttribute("items", found.items());
    model.addAttribute("pager", Pager.of(found));
    return "console/runs";
  }

  @GetMapping("/console/runs/{id}")
  String detail(@PathVariable UUID id, Model model) {
    Run run = runs.get(id);
    model.addAttribute("run", run);
    if (run.status() == RunStatus.SUCCEEDED || run.status() == RunStatus.FAILED) {
      try {
        Report report = runs.report(id);
        model.addAttribute("report", report);
        model.addAttribute("tree", ReportView.tree(report));
      } catch (dev.graft.warmstart.RunNotFound notPlanned) {
        // A run that failed before its worker planned it has no report to show.
      }
    }
    return "console/run";
  }

  /** The run's live part, polled by its page while the run is queued or running. */
  @GetMapping("/console/runs/{id}/progress")
  String progress(
      @PathVariable UUID id, Model model, jakarta.servlet.http.HttpServletResponse response) {
    Run run = runs.get(id);
    if (run.status() != RunStatus.QUEUED && run.status() != RunStatus.RUNNING) {
      // The run ended while its page watched: reload the page once, for the report and the links.
      response.setHeader("HX-Refresh", "true");
    }
    model.addAttribute("run", run);
    return "console/run :: progress";
  }

  @PostMapping("/console/runs/{id}/cancel")
  String cancel(@PathVariable UUID id, RedirectAttributes flash) {
    Run run = runs.cancel(id);
    flash.addFlashAttribute(
        "notice",
        run.status() == RunStatus.CANCELLED
            ? "The run was cancelled."
            : "Cancel requested: the worker stops the run at its next heartbeat.");
    return "redirect:/console/runs/" + id;
  }
}
