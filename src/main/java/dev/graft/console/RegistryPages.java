package dev.graft.console;

import dev.graft.registry.Model;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.RegistryService;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.ResourceChanged;
import dev.graft.shared.web.BlobDownload;
import dev.graft.shared.web.EntityTags;
import dev.graft.shared.web.ProblemDescriptions;
import dev.graft.shared.web.TextParams;
import dev.graft.storage.BlobStore;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.springframework.http.ProblemDetail;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The registry: models, a model's versions and aliases, a version with its lineage and artifacts,
 * alias moves (confirmed first) and deletes.
 */
@Controller
@Hidden
class RegistryPages {

  private final RegistryService registry;
  private final BlobStore blobs;
  private final EntityTags tags;

  private final ProblemDescriptions problems;

  private final boolean open;
  private final LineageGraph lineage;

  RegistryPages(
      RegistryService registry,
      BlobStore blobs,
      EntityTags tags,
      ProblemDescriptions problems,
      LineageGraph lineage,
      GraftProperties properties) {
    this.lineage = lineage;
    this.registry = registry;
    this.blobs = blobs;
    this.tags = tags;
    this.problems = problems;
    this.open = properties.security().mode() == GraftProperties.SecurityMode.NONE;
  }

  @GetMapping("/console/models")
  String models(
      @RequestParam(required = false) String q,
      @RequestParam(defaultValue = "0") int page,
      org.springframework.ui.Model model) {
    String query = q == null || q.isBlank() ? null : TextParams.atMost("q", q, TextParams.MAX_NAME);
    PageResponse<Model> found =
        registry.models(query, List.of(), new PageRequest(page, Pager.SIZE));
    model.addAttribute("q", query);
    model.addAttribute("items", found.items());
    model.addAttribute("pager", Pager.of(found));
    return "console/models";
  }

  @GetMapping("/console/models/{name}")
  String model(
      @PathVariable String name,
      @RequestParam(defaultValue = "0") int page,
      org.springframework.ui.Model model) {
    model.addAttribute("model", registry.model(name));
    PageResponse<ModelVersion> versions =
        registry.versions(name, List.of(), new PageRequest(page, Pager.SIZE));
    model.addAttribute("versions", versions.items());
    model.addAttribute("pager", Pager.of(versions));
    return "console/model";
  }

  @GetMapping("/console/models/{name}/versions/{version}")
  String version(
      @PathVariable String name, @PathVariable int version, org.springframework.ui.Model model) {
    ModelVersion v = registry.get(name, version);
    model.addAttribute("v", v);
    model.addAttribute("graph", lineage.of(v));
    // The edit form sends it back as If-Match: the tag the API's GET answers for this version.
    model.addAttribute("etag", tags.of(v));
    return "console/version";
  }

  @GetMapping("/console/models/{name}/versions/{version}/artifacts/{format}")
  void download(
      @PathVariable String name,
      @PathVariable int version,
      @PathVariable String format,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    ModelVersion.Artifact a = registry.artifact(name, version, format);
    BlobDownload.send(
        blobs,
        a.sha256(),
        "application/octet-stream",
        name + "-v" + version + a.format().extension(),
        request,
        response);
  }

  /** The first step of an alias move: says what would change and asks to confirm. */
  @PostMapping("/console/models/{name}/aliases")
  String confirmMove(
      @PathVariable String name,
      @RequestParam String alias,
      @RequestParam int version,
      org.springframework.ui.Model model) {
    Model m = registry.model(name);
    registry.get(name, version);
    model.addAttribute("model", m);
    model.addAttribute("alias", alias.strip());
    model.addAttribute("version", version);
    model.addAttribute("current", m.aliases().get(alias.strip()));
    return "console/alias-confirm";
  }

  @PostMapping("/console/models/{name}/aliases/confirm")
  String move(
      @PathVariable String name,
      @RequestParam String alias,
      @RequestParam int version,
      RedirectAttributes flash) {
    registry.moveAlias(name, alias, version);
    flash.addFlashAttribute(
        "notice", "Alias '" + alias + "' now points at version " + version + ".");
    return "redirect:/console/models/" + name;
  }

  @PostMapping("/console/models/{name}/aliases/{alias}/delete")
  String deleteAlias(
      @PathVariable String name, @PathVariable String alias, RedirectAttributes flash) {
    registry.deleteAlias(name, alias);
    flash.addFlashAttribute("notice", "Alias '" + alias + "' was removed.");
    return "redirect:/console/models/" + name;
  }

  /**
   * Sets a version's description and tags (one {@code key:value} a line): the only things about a
   * version that may change. The form carries the version's entity tag as it was when the page was
   * drawn, and the change is applied only while it still matches, exactly as the API's {@code
   * PATCH} with {@code If-Match}: a form left open while someone else edited the version is refused
   * (412), never saved over their change.
   */
  @PostMapping("/console/models/{name}/versions/{version}/edit")
  String edit(
      @PathVariable String name,
      @PathVariable int version,
      @RequestParam(defaultValue = "") String description,
      @RequestParam(defaultValue = "") String tags,
      @RequestParam String etag,
      RedirectAttributes flash) {
    java.util.Map<String, String> parsed = new java.util.LinkedHashMap<>();
    for (String line : tags.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new dev.graft.shared.InvalidInput(
            "tags", "one tag a line, as key:value; '" + line.strip() + "' has no key");
      }
      parsed.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
    }
    registry.update(
        name,
        version,
        new dev.graft.registry.MetadataChanges(
            true, description.isBlank() ? null : description.strip(), parsed),
        current -> this.tags.matches(etag, current));
    flash.addFlashAttribute("notice", "Description and tags saved.");
    return "redirect:/console/models/" + name + "/versions/" + version;
  }

  /**
   * A stale edit: the version page again, as the version now is (with its new tag), the refusal in
   * words, and the text the person typed kept beside it so it is not lost.
   */
  @ExceptionHandler(ResourceChanged.class)
  String staleEdit(
      ResourceChanged e,
      HttpServletRequest request,
      HttpServletResponse response,
      WebRequest web,
      org.springframework.ui.Model model) {
    @SuppressWarnings("unchecked")
    java.util.Map<String, String> vars =
        (java.util.Map<String, String>)
            request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
    ProblemDetail p = problems.describe(e, web);
    response.setStatus(p.getStatus());
    // An exception handler's model does not get the advice's attributes.
    model.addAttribute(
        "viewer", Viewer.of(SecurityContextHolder.getContext().getAuthentication(), open));
    model.addAttribute("problem", p);
    model.addAttribute("explanation", Explanations.of(p));
    model.addAttribute("unsavedDescription", request.getParameter("description"));
    model.addAttribute("unsavedTags", request.getParameter("tags"));
    return version(vars.get("name"), Integer.parseInt(vars.get("version")), model);
  }

  @PostMapping("/console/models/{name}/versions/{version}/delete")
  String deleteVersion(
      @PathVariable String name, @PathVariable int version, RedirectAttributes flash) {
    registry.delete(name, version);
    flash.addFlashAttribute("notice", "Version " + version + " of '" + name + "' was deleted.");
    return "redirect:/console/models/" + name;
  }
}
