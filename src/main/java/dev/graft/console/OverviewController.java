package dev.graft.console;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.registry.RegistryService;
import dev.graft.shared.PageRequest;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.RunStatus;
import io.swagger.v3.oas.annotations.Hidden;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The overview: how much there is, what runs now (updated live), what was registered lately and
 * which runs failed. Every figure is one paged service call, so the page costs the same at 1,000
 * versions as at 10.
 */
@Controller
@Hidden
class OverviewController {

  private static final PageRequest COUNT = new PageRequest(0, 1);

  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final RegistryService registry;
  private final RunService runs;

  OverviewController(
      CheckpointService checkpoints,
      ArchitectureService architectures,
      RegistryService registry,
      RunService runs) {
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.registry = registry;
    this.runs = runs;
  }

  @GetMapping("/console")
  String overview(Model model) {
    model.addAttribute("checkpointCount", checkpoints.list(null, null, COUNT).total());
    model.addAttribute("architectureCount", architectures.list(COUNT).total());
    model.addAttribute("modelCount", registry.models(null, List.of(), COUNT).total());
    Map<String, Long> byStatus = new LinkedHashMap<>();
    for (RunStatus s : RunStatus.values()) {
      byStatus.put(s.name(), runs.list(s.name(), COUNT).total());
    }
    model.addAttribute("runCounts", byStatus);
    model.addAttribute("recent", runs.list("SUCCEEDED", new PageRequest(0, 10)).items());
    model.addAttribute("failed", runs.list("FAILED", new PageRequest(0, 10)).items());
    model.addAttribute("active", active());
    return "console/overview";
  }

  /** The runs in progress, polled by the overview every two seconds. */
  @GetMapping("/console/overview/active")
  String activeRuns(Model model) {
    model.addAttribute("active", active());
    return "console/overview :: active";
  }

  private List<Run> active() {
    List<Run> out = new ArrayList<>(runs.list("RUNNING", new PageRequest(0, 20)).items());
    out.addAll(runs.list("QUEUED", new PageRequest(0, 20)).items());
    return out;
  }
}
