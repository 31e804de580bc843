package dev.graft.console;

import dev.graft.architecture.Architecture;
import dev.graft.architecture.ArchitectureDocument;
import dev.graft.architecture.ArchitectureEntry;
import dev.graft.architecture.ArchitectureService;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.ProblemDescriptions;
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
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Architectures: the list, the upload of a file or a JSON descriptor, an architecture's entries,
 * delete.
 */
@Controller
@Hidden
class ArchitecturePages {

  private final ArchitectureService architectures;
  private final ProblemDescriptions problems;
  private final JsonMapper json;

  ArchitecturePages(
      ArchitectureService architectures, ProblemDescriptions problems, JsonMapper json) {
    this.architectures = architectures;
    this.problems = problems;
    this.json = json;
  }

  @GetMapping("/console/architectures")
  String list(@RequestParam(defaultValue = "0") int page, Model model) {
    PageResponse<Architecture> found = architectures.list(new PageRequest(page, Pager.SIZE));
    model.addAttribute("items", found.items());
    model.addAttribute("pager", Pager.of(found));
    return "console/architectures";
  }

  @GetMapping("/console/architectures/{id}")
  String detail(@PathVariable UUID id, @RequestParam(defaultValue = "0") int page, Model model) {
    model.addAttribute("architecture", architectures.get(id));
    model.addAttribute(
        "modules",
        NumelTree.of(
            architectures.target(id).entries().stream()
                .map(e -> new NumelTree.Keyed(e.key(), e.numel()))
                .toList()));
    PageResponse<ArchitectureEntry> entries =
        architectures.entries(id, new PageRequest(page, Pager.SIZE));
    model.addAttribute("entries", entries.items());
    model.addAttribute("pager", Pager.of(entries));
    return "console/architecture";
  }

  /** A file (raw body, streamed) or, with {@code json=true}, a JSON descriptor. */
  @PostMapping("/console/architectures/upload")
  @ResponseBody
  ResponseEntity<Object> upload(
      @RequestParam(required = false) String name,
      @RequestParam(required = false) String filename,
      @RequestParam(defaultValue = "false") boolean json,
      HttpServletRequest request,
      WebRequest web) {
    return Uploads.answer(
        () -> {
          Stored<Architecture> stored;
          if (json) {
            ArchitectureDocument document;
            try {
              document = this.json.readValue(request.getInputStream(), ArchitectureDocument.class);
            } catch (JacksonException e) {
              throw new InvalidInput(
                  "file", "is not a JSON architecture descriptor: " + e.getOriginalMessage());
            }
            stored = architectures.uploadJson(document);
          } else {
            stored =
                architectures.uploadFile(UploadName.of(name, filename), request.getInputStream());
          }
          return Uploads.stored(
              "/console/architectures/" + stored.resource().id(), stored.created());
        },
        problems,
        web);
  }

  @PostMapping("/console/architectures/{id}/delete")
  String delete(@PathVariable UUID id, RedirectAttributes flash) {
    Architecture a = architectures.get(id);
    architectures.delete(id);
    flash.addFlashAttribute("notice", "Architecture '" + a.name() + "' was deleted.");
    return "redirect:/console/architectures";
  }
}
