package dev.graft.architecture.web;

import dev.graft.architecture.Architecture;
import dev.graft.architecture.ArchitectureDocument;
import dev.graft.architecture.ArchitectureEntry;
import dev.graft.architecture.ArchitectureService;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.ApiDocs;
import dev.graft.shared.web.MultipartFileStream;
import dev.graft.shared.web.StoredResponses;
import dev.graft.shared.web.UploadName;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The architecture endpoints: upload (file or JSON), list, get, entries, delete. */
@RestController
@RequestMapping("/api/v1/architectures")
@Tag(name = "Architectures")
class ArchitectureController {

  private final ArchitectureService service;

  ArchitectureController(ArchitectureService service) {
    this.service = service;
  }

  @Operation(hidden = true)
  @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  ResponseEntity<Architecture> uploadRaw(
      @RequestParam(required = false) String name,
      HttpServletRequest request,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    return created(
        service.uploadFile(UploadName.of(name, null), request.getInputStream(), idempotencyKey));
  }

  @Operation(
      operationId = "uploadArchitecture",
      summary =
          "Upload an architecture file: torch.save of state_dict(keep_vars=True) or state_dict(),"
              + " a TorchScript archive, or safetensors",
      description =
          ApiDocs.UPLOAD_BODY
              + " A JSON descriptor is created with createArchitecture instead. Bytes stored"
              + " before answer 200 with the existing architecture.",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                      schema = @Schema(type = "object", requiredProperties = "file"),
                      schemaProperties =
                          @SchemaProperty(
                              name = "file",
                              schema =
                                  @Schema(
                                      type = "string",
                                      format = "binary",
                                      description = "The architecture file")),
                      encoding =
                          @Encoding(
                              name = "file",
                              contentType = MediaType.APPLICATION_OCTET_STREAM_VALUE))))
  @ApiResponse(
      responseCode = "201",
      description = "New architecture stored",
      headers = @Header(name = "Location", ref = ApiDocs.LOCATION),
      content = @Content(schema = @Schema(implementation = Architecture.class)))
  @ApiResponse(
      responseCode = "200",
      description = "Identical bytes were stored before; the existing architecture",
      content = @Content(schema = @Schema(implementation = Architecture.class)))
  @ApiResponse(responseCode = "408", description = "The upload stalled and was cut")
  @ApiResponse(
      responseCode = "409",
      description = "The Idempotency-Key was used for another upload")
  @ApiResponse(responseCode = "413", description = "The file exceeds a size limit")
  @ApiResponse(
      responseCode = "422",
      description = "The file was refused; the detail says what and where")
  @ApiResponse(responseCode = "429", description = "Too many uploads at once; retry later")
  @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
  ResponseEntity<Architecture> uploadMultipart(
      @Parameter(
              description =
                  "The architecture's name (PyTorch's error text calls the model by it); the file"
                      + " name when absent",
              example = "ResNet34")
          @RequestParam(required = false)
          String name,
      HttpServletRequest request,
      @Parameter(description = ApiDocs.IDEMPOTENCY_KEY)
          @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey)
      throws IOException {
    MultipartFileStream.Part part =
        MultipartFileStream.find(request.getContentType(), request.getInputStream(), "file");
    return created(
        service.uploadFile(UploadName.of(name, part.filename()), part.body(), idempotencyKey));
  }

  /** The JSON descriptor on the upload path, for curl users; the document describes the other. */
  @Operation(hidden = true)
  @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Architecture> uploadJson(
      @RequestBody ArchitectureDocument document,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    return created(service.uploadJson(document, idempotencyKey));
  }

  @Operation(
      operationId = "createArchitecture",
      summary = "Describe an architecture in JSON: keys, dtypes, shapes, kinds and init schemes",
      description =
          "For callers without a saved model: no initial values, an init scheme per entry instead"
              + " (PyTorch's layer defaults when absent). POST /api/v1/architectures with"
              + " Content-Type application/json does the same.")
  @ApiResponse(
      responseCode = "201",
      description = "New architecture stored",
      headers = @Header(name = "Location", ref = ApiDocs.LOCATION),
      content = @Content(schema = @Schema(implementation = Architecture.class)))
  @ApiResponse(
      responseCode = "200",
      description = "The same descriptor was stored before; the existing architecture",
      content = @Content(schema = @Schema(implementation = Architecture.class)))
  @ApiResponse(
      responseCode = "409",
      description = "The Idempotency-Key was used for another request")
  @ApiResponse(responseCode = "413", description = "The body exceeds graft.upload.max-json-bytes")
  @PostMapping(path = "/documents", consumes = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Architecture> createDocument(
      @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true) @RequestBody
          ArchitectureDocument document,
      @Parameter(description = ApiDocs.IDEMPOTENCY_KEY)
          @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey)
      throws IOException {
    return created(service.uploadJson(document, idempotencyKey));
  }

  @Operation(operationId = "listArchitectures", summary = "List architectures, newest first")
  @ApiResponse(responseCode = "200", description = "A page of architectures")
  @GetMapping
  PageResponse<Architecture> list(
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return service.list(new PageRequest(page, size));
  }

  @Operation(operationId = "getArchitecture", summary = "Get an architecture")
  @ApiResponse(responseCode = "200", description = "The architecture")
  @ApiResponse(responseCode = "404", description = "No such architecture")
  @GetMapping("/{id}")
  Architecture get(@PathVariable UUID id) {
    return service.get(id);
  }

  @Operation(
      operationId = "listArchitectureEntries",
      summary = "List an architecture's entries in state_dict() order")
  @ApiResponse(responseCode = "200", description = "A page of entries")
  @ApiResponse(responseCode = "404", description = "No such architecture")
  @GetMapping("/{id}/entries")
  PageResponse<ArchitectureEntry> entries(
      @PathVariable UUID id,
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return service.entries(id, new PageRequest(page, size));
  }

  @Operation(
      operationId = "deleteArchitecture",
      summary =
          "Delete an architecture; refused while a model version's lineage or a queued or running"
              + " run uses it")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such architecture")
  @ApiResponse(
      responseCode = "409",
      description = "A model version's lineage or a queued or running run uses it")
  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable UUID id) {
    service.delete(id);
    return ResponseEntity.noContent().build();
  }

  private static ResponseEntity<Architecture> created(Stored<Architecture> result) {
    return StoredResponses.of(result, Architecture::id, "/api/v1/architectures");
  }
}
