package dev.graft.registry.web;

import dev.graft.registry.Model;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.RegistryService;
import dev.graft.registry.TagFilter;
import dev.graft.registry.VersionChanges;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.web.BlobDownload;
import dev.graft.storage.BlobStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * The registry endpoints: models, their versions and artifacts, aliases, version edits, deletion.
 */
@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Registry", description = "Models, their immutable versions, artifacts and aliases")
class ModelController {

  private final RegistryService registry;
  private final BlobStore blobs;

  ModelController(RegistryService registry, BlobStore blobs) {
    this.registry = registry;
    this.blobs = blobs;
  }

  /** Body of {@code PUT .../aliases/{alias}}. */
  record AliasTarget(
      @Schema(example = "3", description = "the version the alias should point at")
          Integer version) {}

  /** Body of {@code PATCH .../versions/{version}}; absent fields stay as they are. */
  record VersionPatch(
      @Schema(example = "ResNet-34 warm-started from ImageNet ResNet-18", nullable = true)
          String description,
      @Schema(example = "{\"stage\": \"prod\"}", description = "replaces every tag when given")
          Map<String, String> tags) {}

  @Operation(
      summary = "List models by name; q filters by name, tag=key:value by their versions' tags")
  @GetMapping
  PageResponse<Model> models(
      @RequestParam(required = false) String q,
      @Parameter(description = "key:value; repeat to require several", example = "stage:prod")
          @RequestParam(required = false)
          List<String> tag,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return registry.models(
        dev.graft.shared.web.TextParams.atMost("q", q, dev.graft.shared.web.TextParams.MAX_NAME),
        TagFilter.parseAll(tag),
        new PageRequest(page, size));
  }

  @Operation(summary = "Get a model: version count, latest version and aliases")
  @ApiResponse(responseCode = "404", description = "No such model")
  @GetMapping("/{name}")
  Model model(@PathVariable String name) {
    return registry.model(name);
  }

  @Operation(summary = "List a model's versions, newest first; tag=key:value filters")
  @GetMapping("/{name}/versions")
  PageResponse<ModelVersion> versions(
      @PathVariable String name,
      @Parameter(description = "key:value; repeat to require several", example = "stage:prod")
          @RequestParam(required = false)
          List<String> tag,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return registry.versions(name, TagFilter.parseAll(tag), new PageRequest(page, size));
  }

  @Operation(summary = "Get a model version: lineage, summary, artifacts")
  @ApiResponse(responseCode = "404", description = "No such model or version")
  @GetMapping("/{name}/versions/{version}")
  ModelVersion version(@PathVariable String name, @PathVariable int version) {
    return registry.get(name, version);
  }

  @Operation(
      summary =
          "Set a version's description and/or replace its tags; a version is otherwise immutable",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content =
                  @Content(
                      schema = @Schema(implementation = VersionPatch.class),
                      examples =
                          @ExampleObject(
                              "{\"description\": \"promoted after eval\", \"tags\": {\"stage\": \"prod\"}}"))))
  @ApiResponse(
      responseCode = "400",
      description = "Not an object, an unknown field, or a tag that is not a string")
  @ApiResponse(responseCode = "404", description = "No such model or version")
  @PatchMapping("/{name}/versions/{version}")
  ModelVersion patch(
      @PathVariable String name, @PathVariable int version, @RequestBody JsonNode body) {
    return registry.update(name, version, changes(body));
  }

  @Operation(summary = "Delete a version; its artifacts' files go once nothing else names them")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such model or version")
  @ApiResponse(
      responseCode = "409",
      description = "An alias points at the version; the detail names it")
  @DeleteMapping("/{name}/versions/{version}")
  ResponseEntity<Void> delete(@PathVariable String name, @PathVariable int version) {
    registry.delete(name, version);
    return ResponseEntity.noContent().build();
  }

  @Operation(
      summary =
          "Download an artifact (safetensors, pytorch, torchscript); honours Range, ETag is the"
              + " SHA-256")
  @GetMapping("/{name}/versions/{version}/artifacts/{format}")
  void artifact(
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

  @Operation(summary = "Get the version an alias points at")
  @ApiResponse(responseCode = "404", description = "No such model or alias")
  @GetMapping("/{name}/aliases/{alias}")
  ModelVersion alias(@PathVariable String name, @PathVariable String alias) {
    return registry.alias(name, alias);
  }

  @Operation(
      summary = "Point an alias at a version (created or moved atomically)",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content = @Content(examples = @ExampleObject("{\"version\": 3}"))))
  @ApiResponse(responseCode = "200", description = "The version the alias now points at")
  @ApiResponse(responseCode = "400", description = "Invalid alias name, or no version given")
  @ApiResponse(responseCode = "404", description = "No such model")
  @ApiResponse(
      responseCode = "422",
      description = "The body names a version the model does not have")
  @PutMapping("/{name}/aliases/{alias}")
  ModelVersion moveAlias(
      @PathVariable String name, @PathVariable String alias, @RequestBody AliasTarget body) {
    return registry.moveAlias(name, alias, body.version());
  }

  @Operation(summary = "Delete an alias; the version stays")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such model or alias")
  @DeleteMapping("/{name}/aliases/{alias}")
  ResponseEntity<Void> deleteAlias(@PathVariable String name, @PathVariable String alias) {
    registry.deleteAlias(name, alias);
    return ResponseEntity.noContent().build();
  }

  /** Reads a PATCH body, telling an absent field (unchanged) from an explicit one. */
  private static VersionChanges changes(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new InvalidInput("body", "must be a JSON object with description and/or tags");
    }
    for (String field : body.propertyNames()) {
      if (!field.equals("description") && !field.equals("tags")) {
        throw new InvalidInput(
            field, "cannot be changed: a version is immutable except its description and tags");
      }
    }
    JsonNode description = body.get("description");
    if (description != null && !description.isNull() && !description.isString()) {
      throw new InvalidInput("description", "must be a string, or null to clear it");
    }
    Map<String, String> tags = null;
    JsonNode t = body.get("tags");
    if (t != null) {
      if (!t.isObject()) {
        throw new InvalidInput(
            "tags", "must be an object of string values; send {} to remove every tag");
      }
      tags = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : t.properties()) {
        if (!e.getValue().isString()) {
          throw new InvalidInput("tags." + e.getKey(), "must be a string");
        }
        tags.put(e.getKey(), e.getValue().stringValue());
      }
    }
    return new VersionChanges(
        description != null,
        description == null || description.isNull() ? null : description.stringValue(),
        tags);
  }
}
