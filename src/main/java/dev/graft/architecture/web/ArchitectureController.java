package dev.graft.architecture.web;

import dev.graft.architecture.Architecture;
import dev.graft.architecture.ArchitectureDocument;
import dev.graft.architecture.ArchitectureEntry;
import dev.graft.architecture.ArchitectureService;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.MultipartFileStream;
import dev.graft.shared.web.StoredResponses;
import dev.graft.shared.web.UploadName;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
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
@Tag(
    name = "Architectures",
    description = "Target-architecture descriptors: the new model's state_dict() layout")
class ArchitectureController {

  private final ArchitectureService service;

  ArchitectureController(ArchitectureService service) {
    this.service = service;
  }

  @Operation(
      summary =
          "Upload an architecture file: torch.save of state_dict(keep_vars=True) or state_dict(),"
              + " a TorchScript archive, or safetensors",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content =
                  @Content(
                      mediaType = "application/octet-stream",
                      schema = @Schema(type = "string", format = "binary"))))
  @ApiResponse(responseCode = "201", description = "New architecture stored")
  @ApiResponse(
      responseCode = "200",
      description = "Identical bytes were stored before; the existing architecture")
  @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  ResponseEntity<Architecture> uploadRaw(
      @RequestParam(required = false) String name,
      HttpServletRequest request,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    return created(
        service.uploadFile(UploadName.of(name, null), request.getInputStream(), idempotencyKey));
  }

  @Operation(summary = "Upload an architecture file as multipart/form-data part 'file'")
  @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
  ResponseEntity<Architecture> uploadMultipart(
      @RequestParam(required = false) String name,
      HttpServletRequest request,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    MultipartFileStream.Part part =
        MultipartFileStream.find(request.getContentType(), request.getInputStream(), "file");
    return created(
        service.uploadFile(UploadName.of(name, part.filename()), part.body(), idempotencyKey));
  }

  @Operation(
      summary = "Describe an architecture in JSON (no initial values: an init scheme per entry)")
  @ApiResponse(responseCode = "201", description = "New architecture stored")
  @ApiResponse(responseCode = "200", description = "The same description was stored before")
  @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Architecture> uploadJson(
      @RequestBody ArchitectureDocument document,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    return created(service.uploadJson(document, idempotencyKey));
  }

  @Operation(summary = "List architectures, newest first")
  @GetMapping
  PageResponse<Architecture> list(
      @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "50") int size) {
    return service.list(new PageRequest(page, size));
  }

  @Operation(summary = "Get an architecture")
  @GetMapping("/{id}")
  Architecture get(@PathVariable UUID id) {
    return service.get(id);
  }

  @Operation(summary = "List an architecture's entries in state_dict() order")
  @GetMapping("/{id}/entries")
  PageResponse<ArchitectureEntry> entries(
      @PathVariable UUID id,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return service.entries(id, new PageRequest(page, size));
  }

  @Operation(
      summary =
          "Delete an architecture; refused while a model version's lineage or a queued or running run uses it")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such architecture")
  @ApiResponse(responseCode = "409", description = "A model version or an active run uses it")
  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable UUID id) {
    service.delete(id);
    return ResponseEntity.noContent().build();
  }

  private static ResponseEntity<Architecture> created(Stored<Architecture> result) {
    return StoredResponses.of(result, Architecture::id, "/api/v1/architectures");
  }
}
