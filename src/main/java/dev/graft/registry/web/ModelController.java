package dev.graft.registry.web;

import dev.graft.registry.ModelVersion;
import dev.graft.registry.RegistryService;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.web.BlobDownload;
import dev.graft.storage.BlobStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Registry reads: a model's versions and their artifacts. */
@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Registry", description = "Models, their immutable versions and artifacts")
class ModelController {

  private final RegistryService registry;
  private final BlobStore blobs;

  ModelController(RegistryService registry, BlobStore blobs) {
    this.registry = registry;
    this.blobs = blobs;
  }

  @Operation(summary = "List a model's versions, newest first")
  @GetMapping("/{name}/versions")
  PageResponse<ModelVersion> versions(
      @PathVariable String name, @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "50") int size) {
    return registry.versions(name, new PageRequest(page, size));
  }

  @Operation(summary = "Get a model version: lineage, summary, artifacts")
  @GetMapping("/{name}/versions/{version}")
  ModelVersion version(@PathVariable String name, @PathVariable int version) {
    return registry.get(name, version);
  }

  @Operation(summary = "Download an artifact (safetensors, pytorch); honours Range, ETag is the SHA-256")
  @GetMapping("/{name}/versions/{version}/artifacts/{format}")
  void artifact(
      @PathVariable String name,
      @PathVariable int version,
      @PathVariable String format,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    ModelVersion.Artifact a = registry.artifact(name, version, format);
    String ext = format.equals("safetensors") ? ".safetensors" : ".pt";
    BlobDownload.send(blobs, a.sha256(), "application/octet-stream", name + "-v" + version + ext, request, response);
  }
}
