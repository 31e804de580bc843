package dev.graft.console;

import dev.graft.checkpoint.Checkpoint;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointTensor;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.ProblemDescriptions;
import dev.graft.shared.web.TextParams;
import dev.graft.shared.web.UploadName;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Checkpoints: the list with search, the upload, a checkpoint with its tensor browser, delete. */
@Controller
@Hidden
class CheckpointPages {

  private final CheckpointService checkpoints;
  private final ProblemDescriptions problems;

  CheckpointPages(CheckpointService checkpoints, ProblemDescriptions problems) {
    this.checkpoints = checkpoints;
    this.problems = problems;
  }

  @GetMapping("/console/checkpoints")
  String list(
      @RequestParam(required = false) String q,
      @RequestParam(defaultValue = "0") int page,
      Model model) {
    String query = q == null || q.isBlank() ? null : TextParams.atMost("q", q, TextParams.MAX_NAME);
    PageResponse<Checkpoint> found =
        checkpoints.list(query, null, new PageRequest(page, Pager.SIZE));
    model.addAttribute("q", query);
    model.addAttribute("items", found.items());
    model.addAttribute("pager", Pager.of(found));
    return "console/checkpoints";
  }

  @GetMapping("/console/checkpoints/{id}")
  String detail(
      @PathVariable UUID id,
      @RequestParam(required = false) String prefix,
      @RequestParam(defaultValue = "0") int page,
      Model model) {
    String p = prefix == null || prefix.isEmpty() ? null : TextParams.key("prefix", prefix);
    model.addAttribute("checkpoint", checkpoints.get(id));
    model.addAttribute(
        "modules",
        NumelTree.of(
            checkpoints.index(id).tensors().stream()
                .map(t -> new NumelTree.Keyed(t.key(), t.numel()))
                .toList()));
    PageResponse<CheckpointTensor> tensors =
        checkpoints.tensors(id, p, new PageRequest(page, Pager.SIZE));
    model.addAttribute("prefix", p);
    model.addAttribute("tensors", tensors.items());
    model.addAttribute("pager", Pager.of(tensors));
    return "console/checkpoint";
  }

  /**
   * The upload the page's script sends: the file as the raw request body, streamed into the same
   * service the API's upload uses (same limits, same refusals). Answers JSON for the script.
   */
  @PostMapping("/console/checkpoints/upload")
  @ResponseBody
  ResponseEntity<Object> upload(
      @RequestParam(required = false) String name,
      @RequestParam(required = false) String filename,
      HttpServletRequest request,
      WebRequest web) {
    return Uploads.answer(
        () -> {
          CheckpointUpload upload = new CheckpointUpload(UploadName.of(name, filename), null, null);
          Stored<Checkpoint> stored = checkpoints.upload(upload, request.getInputStream());
          return Uploads.stored("/console/checkpoints/" + stored.resource().id(), stored.created());
        },
        problems,
        web);
  }

  @PostMapping("/console/checkpoints/{id}/delete")
  String delete(@PathVariable UUID id, RedirectAttributes flash) throws Exception {
    Checkpoint c = checkpoints.get(id);
    checkpoints.delete(id);
    flash.addFlashAttribute("notice", "Checkpoint '" + c.name() + "' was deleted.");
    return "redirect:/console/checkpoints";
  }
}
