package dev.graft.registry.web;

import dev.graft.registry.ArtifactFormat;
import dev.graft.registry.MetadataChanges;
import dev.graft.registry.Model;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.RegistryService;
import dev.graft.registry.TagFilter;
import dev.graft.registry.VersionArtifact;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.web.ApiDocs;
import dev.graft.shared.web.BlobDownload;
import dev.graft.shared.web.EntityTags;
import dev.graft.shared.web.TextParams;
import dev.graft.storage.BlobStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * The registry endpoints: models (with their description and tags), their versions and artifacts,
 * aliases, edits, deletion. Models and versions carry an {@code ETag}; their {@code PATCH} honours
 * {@code If-Match}.
 */
@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Models")
class ModelController {

  private final RegistryService registry;
  private final BlobStore blobs;
  private final EntityTags tags;

  ModelController(RegistryService registry, BlobStore blobs, EntityTags tags) {
    this.registry = registry;
    this.blobs = blobs;
    this.tags = tags;
  }

  /** Body of {@code PUT .../aliases/{alias}}. */
  @Schema(requiredProperties = "version")
  record AliasTarget(
      @Schema(example = "3", description = "the version the alias should point at")
          Integer version) {}

  /** Body of {@code PATCH} on a model or a version; absent fields stay as they are. */
  @Schema(
      name = "MetadataPatch",
      description = "Absent fields stay as they are; description null clears it")
  record MetadataPatch(
      @Schema(
              example = "ResNet-34 warm-started from ImageNet ResNet-18",
              nullable = true,
              maxLength = RegistryService.MAX_DESCRIPTION)
          String description,
      @Schema(example = "{\"stage\": \"prod\"}", description = "replaces every tag when given")
          Map<String, String> tags) {}

  /** The {@code format} path parameter of the downloads. */
  @Target(ElementType.PARAMETER)
  @Retention(RetentionPolicy.RUNTIME)
  @Parameter(
      description = "The artifact's format",
      schema = @Schema(allowableValues = {"safetensors", "pytorch", "torchscript"}))
  @interface FormatParameter {}

  @Operation(
      operationId = "listModels",
      summary = "List models by name; q filters by name, tag=key:value by their versions' tags")
  @ApiResponse(responseCode = "200", description = "A page of models")
  @GetMapping
  PageResponse<Model> models(
      @Parameter(description = "Only names containing this (ignoring case)")
          @RequestParam(required = false)
          String q,
      @Parameter(
              description =
                  "key:value; only models with a version carrying the tag; repeat to require"
                      + " several",
              array = @ArraySchema(schema = @Schema(type = "string", example = "stage:prod")))
          @RequestParam(required = false)
          List<String> tag,
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return registry.models(
        TextParams.atMost("q", q, TextParams.MAX_NAME),
        TagFilter.parseAll(tag),
        new PageRequest(page, size));
  }

  @Operation(
      operationId = "getModel",
      summary = "Get a model: description, tags, version count, latest version and aliases")
  @ApiResponse(
      responseCode = "200",
      description = "The model",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(
      responseCode = "304",
      description = "If-None-Match named the current ETag",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(responseCode = "404", description = "No such model")
  @GetMapping("/{name}")
  ResponseEntity<Model> model(@PathVariable String name) {
    Model m = registry.model(name);
    return ResponseEntity.ok().eTag(tags.of(m)).body(m);
  }

  @Operation(
      operationId = "updateModel",
      summary = "Set a model's description and/or replace its tags",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      schema = @Schema(implementation = MetadataPatch.class),
                      examples =
                          @ExampleObject(
                              "{\"description\": \"ResNet-34 family\", \"tags\": {\"team\":"
                                  + " \"vision\"}}"))))
  @ApiResponse(
      responseCode = "200",
      description = "The model as it now is",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(
      responseCode = "400",
      description = "Not an object, an unknown field, or a tag that is not a string")
  @ApiResponse(responseCode = "404", description = "No such model")
  @ApiResponse(
      responseCode = "412",
      description = "If-Match names another state than the model's current one")
  @PatchMapping("/{name}")
  ResponseEntity<Model> patchModel(
      @PathVariable String name,
      @Parameter(description = ApiDocs.IF_MATCH) @RequestHeader(name = "If-Match", required = false)
          String ifMatch,
      @RequestBody JsonNode body) {
    Model m = registry.updateModel(name, changes(body), current -> tags.matches(ifMatch, current));
    return ResponseEntity.ok().eTag(tags.of(m)).body(m);
  }

  @Operation(
      operationId = "deleteModel",
      summary = "Delete a model that has no versions left, with its description and tags")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such model")
  @ApiResponse(
      responseCode = "409",
      description = "The model still has versions; the detail says how many")
  @DeleteMapping("/{name}")
  ResponseEntity<Void> deleteModel(@PathVariable String name) {
    registry.deleteModel(name);
    return ResponseEntity.noContent().build();
  }

  @Operation(
      operationId = "listModelVersions",
      summary = "List a model's versions, newest first; tag=key:value filters")
  @ApiResponse(responseCode = "200", description = "A page of versions")
  @ApiResponse(responseCode = "404", description = "No such model")
  @GetMapping("/{name}/versions")
  PageResponse<ModelVersion> versions(
      @PathVariable String name,
      @Parameter(
              description = "key:value; repeat to require several",
              array = @ArraySchema(schema = @Schema(type = "string", example = "stage:prod")))
          @RequestParam(required = false)
          List<String> tag,
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return registry.versions(name, TagFilter.parseAll(tag), new PageRequest(page, size));
  }

  @Operation(
      operationId = "getModelVersion",
      summary = "Get a model version: lineage, summary, artifacts")
  @ApiResponse(
      responseCode = "200",
      description = "The version",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(
      responseCode = "304",
      description = "If-None-Match named the current ETag",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(responseCode = "404", description = "No such model or version")
  @GetMapping("/{name}/versions/{version}")
  ResponseEntity<ModelVersion> version(@PathVariable String name, @PathVariable int version) {
    ModelVersion v = registry.get(name, version);
    return ResponseEntity.ok().eTag(tags.of(v)).body(v);
  }

  @Operation(
      operationId = "updateModelVersion",
      summary =
          "Set a version's description and/or replace its tags; a version is otherwise immutable",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      schema = @Schema(implementation = MetadataPatch.class),
                      examples =
                          @ExampleObject(
                              "{\"description\": \"promoted after eval\", \"tags\": {\"stage\":"
                                  + " \"prod\"}}"))))
  @ApiResponse(
      responseCode = "200",
      description = "The version as it now is",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(
      responseCode = "400",
      description = "Not an object, an unknown field, or a tag that is not a string")
  @ApiResponse(responseCode = "404", description = "No such model or version")
  @ApiResponse(
      responseCode = "412",
      description = "If-Match names another state than the version's current one")
  @PatchMapping("/{name}/versions/{version}")
  ResponseEntity<ModelVersion> patch(
      @PathVariable String name,
      @PathVariable int version,
      @Parameter(description = ApiDocs.IF_MATCH) @RequestHeader(name = "If-Match", required = false)
          String ifMatch,
      @RequestBody JsonNode body) {
    ModelVersion v =
        registry.update(name, version, changes(body), current -> tags.matches(ifMatch, current));
    return ResponseEntity.ok().eTag(tags.of(v)).body(v);
  }

  @Operation(
      operationId = "deleteModelVersion",
      summary = "Delete a version; its artifacts' files go once nothing else names them")
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
      operationId = "downloadArtifact",
      summary =
          "Download an artifact (safetensors, pytorch, torchscript); honours Range, ETag is the"
              + " SHA-256")
  @DownloadResponses
  @GetMapping("/{name}/versions/{version}/artifacts/{format}")
  void artifact(
      @PathVariable String name,
      @PathVariable int version,
      @FormatParameter @PathVariable String format,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    send(
        new VersionArtifact(name, version, registry.artifact(name, version, format)),
        request,
        response);
  }

  @Operation(
      operationId = "downloadArtifactFile",
      summary =
          "Download one file of an artifact split into shards by output.maxShardSize: a shard"
              + " (model-00001-of-00003.safetensors) or the index (model.safetensors.index.json),"
              + " by the name the artifact's shards list gives; honours Range, ETag is the SHA-256")
  @DownloadResponses
  @GetMapping("/{name}/versions/{version}/artifacts/{format}/files/{fileName}")
  void artifactFile(
      @PathVariable String name,
      @PathVariable int version,
      @FormatParameter @PathVariable String format,
      @Parameter(
              description = "The file's name, as the artifact lists it",
              example = "model-00001-of-00003.safetensors")
          @PathVariable
          String fileName,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    ModelVersion.Shard file = registry.artifactFile(name, version, format, fileName);
    BlobDownload.send(
        blobs,
        file.sha256(),
        MediaType.APPLICATION_OCTET_STREAM_VALUE,
        file.fileName(),
        request,
        response);
  }

  @Operation(
      operationId = "downloadArtifactByAlias",
      summary =
          "Download an artifact of the version an alias points at, in one call (as"
              + " downloadArtifact)")
  @DownloadResponses
  @GetMapping("/{name}/aliases/{alias}/artifacts/{format}")
  void aliasArtifact(
      @PathVariable String name,
      @PathVariable String alias,
      @FormatParameter @PathVariable String format,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    send(registry.aliasArtifact(name, alias, format), request, response);
  }

  @Operation(operationId = "getModelVersionByAlias", summary = "Get the version an alias points at")
  @ApiResponse(
      responseCode = "200",
      description = "The version",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(
      responseCode = "304",
      description = "If-None-Match named the current ETag",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(responseCode = "404", description = "No such model or alias")
  @GetMapping("/{name}/aliases/{alias}")
  ResponseEntity<ModelVersion> alias(@PathVariable String name, @PathVariable String alias) {
    ModelVersion v = registry.alias(name, alias);
    return ResponseEntity.ok().eTag(tags.of(v)).body(v);
  }

  @Operation(
      operationId = "setAlias",
      summary = "Point an alias at a version (created or moved atomically)",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      schema = @Schema(implementation = AliasTarget.class),
                      examples = @ExampleObject("{\"version\": 3}"))))
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

  @Operation(operationId = "deleteAlias", summary = "Delete an alias; the version stays")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such model or alias")
  @DeleteMapping("/{name}/aliases/{alias}")
  ResponseEntity<Void> deleteAlias(@PathVariable String name, @PathVariable String alias) {
    registry.deleteAlias(name, alias);
    return ResponseEntity.noContent().build();
  }

  private void send(VersionArtifact a, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    ArtifactFormat format = a.artifact().format();
    boolean sharded = !a.artifact().shards().isEmpty();
    // A sharded artifact's own file is its index, which names the shards to fetch next.
    BlobDownload.send(
        blobs,
        a.artifact().sha256(),
        MediaType.APPLICATION_OCTET_STREAM_VALUE,
        sharded ? format.indexFileName() : a.model() + "-v" + a.version() + format.extension(),
        request,
        response);
  }

  /** What the two artifact downloads answer, and the request headers they honour. */
  @Target(ElementType.METHOD)
  @Retention(RetentionPolicy.RUNTIME)
  @Parameter(
      in = ParameterIn.HEADER,
      name = "Range",
      description = ApiDocs.RANGE,
      schema = @Schema(type = "string"))
  @Parameter(
      in = ParameterIn.HEADER,
      name = "If-Range",
      description = ApiDocs.IF_RANGE,
      schema = @Schema(type = "string"))
  @Parameter(
      in = ParameterIn.HEADER,
      name = "If-None-Match",
      description = ApiDocs.IF_NONE_MATCH,
      schema = @Schema(type = "string"))
  @ApiResponse(
      responseCode = "200",
      description = "The file",
      headers = {
        @Header(name = "ETag", ref = ApiDocs.ETAG),
        @Header(name = "Accept-Ranges", ref = ApiDocs.ACCEPT_RANGES),
        @Header(name = "Content-Disposition", ref = ApiDocs.CONTENT_DISPOSITION)
      },
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "206",
      description = "The requested range",
      headers = {
        @Header(name = "ETag", ref = ApiDocs.ETAG),
        @Header(name = "Content-Range", ref = ApiDocs.CONTENT_RANGE),
        @Header(name = "Content-Disposition", ref = ApiDocs.CONTENT_DISPOSITION)
      },
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "304",
      description = "If-None-Match named the current ETag",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(
      responseCode = "404",
      description = "No such model, version, alias or artifact of this format")
  @ApiResponse(
      responseCode = "416",
      description = "The range lies outside the file",
      headers = @Header(name = "Content-Range", ref = ApiDocs.CONTENT_RANGE))
  @interface DownloadResponses {}

  /** Reads a PATCH body, telling an absent field (unchanged) from an explicit one. */
  private static MetadataChanges changes(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new InvalidInput("body", "must be a JSON object with description and/or tags");
    }
    for (String field : body.propertyNames()) {
      if (!field.equals("description") && !field.equals("tags")) {
        throw new InvalidInput(
            field, "cannot be changed: only the description and the tags can be edited");
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
    return new MetadataChanges(
        description != null,
        description == null || description.isNull() ? null : description.stringValue(),
        tags);
  }
}
