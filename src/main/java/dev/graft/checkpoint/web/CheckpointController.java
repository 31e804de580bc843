package dev.graft.checkpoint.web;

import dev.graft.checkpoint.Checkpoint;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointTensor;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.format.CheckpointFormat;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.BlobDownload;
import dev.graft.shared.web.MultipartFileStream;
import dev.graft.shared.web.Problems;
import dev.graft.shared.web.StoredResponses;
import dev.graft.shared.web.TextParams;
import dev.graft.shared.web.UploadName;
import dev.graft.storage.BlobStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The checkpoint endpoints: upload, list, inspect, download, delete. */
@RestController
@RequestMapping("/api/v1/checkpoints")
@Tag(name = "Checkpoints", description = "Uploaded weight files and their tensor index")
class CheckpointController {

  private final CheckpointService service;
  private final BlobStore blobs;

  CheckpointController(CheckpointService service, BlobStore blobs) {
    this.service = service;
    this.blobs = blobs;
  }

  @Operation(
      summary = "Upload a checkpoint as the raw request body (streamed, any size)",
      requestBody =
          @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content =
                  @Content(
                      mediaType = "application/octet-stream",
                      schema = @Schema(type = "string", format = "binary"))))
  @ApiResponse(responseCode = "201", description = "New checkpoint stored")
  @ApiResponse(
      responseCode = "200",
      description = "Identical bytes were stored before; the existing checkpoint")
  @ApiResponse(
      responseCode = "422",
      description = "The file was refused; the detail says what and where")
  @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  ResponseEntity<Checkpoint> uploadRaw(
      @Parameter(description = "The checkpoint's name", example = "resnet18-epoch3")
          @RequestParam(required = false)
          String name,
      @Parameter(description = "auto, pytorch or safetensors", example = "auto")
          @RequestParam(defaultValue = "auto")
          String format,
      @Parameter(
              description =
                  "Where the state dict sits in a nested checkpoint (detected when absent)",
              example = "model_state_dict")
          @RequestParam(required = false)
          String stateDictPath,
      HttpServletRequest request,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    CheckpointUpload upload = upload(name, null, format, stateDictPath);
    return created(service.upload(upload, request.getInputStream(), idempotencyKey));
  }

  @Operation(
      summary =
          "Upload a checkpoint as multipart/form-data part 'file' (streamed, no temporary copy)")
  @ApiResponse(responseCode = "201", description = "New checkpoint stored")
  @ApiResponse(
      responseCode = "200",
      description = "Identical bytes were stored before; the existing checkpoint")
  @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
  ResponseEntity<Checkpoint> uploadMultipart(
      @RequestParam(required = false) String name,
      @RequestParam(defaultValue = "auto") String format,
      @RequestParam(required = false) String stateDictPath,
      HttpServletRequest request,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    MultipartFileStream.Part part =
        MultipartFileStream.find(request.getContentType(), request.getInputStream(), "file");
    CheckpointUpload upload = upload(name, part.filename(), format, stateDictPath);
    return created(service.upload(upload, part.body(), idempotencyKey));
  }

  @Operation(summary = "List checkpoints, newest first")
  @GetMapping
  PageResponse<Checkpoint> list(
      @Parameter(description = "Only names containing this") @RequestParam(required = false)
          String q,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return service.list(
        TextParams.atMost("q", q, TextParams.MAX_NAME), new PageRequest(page, size));
  }

  @Operation(summary = "Get a checkpoint")
  @GetMapping("/{id}")
  Checkpoint get(@PathVariable UUID id) {
    return service.get(id);
  }

  @Operation(summary = "List a checkpoint's tensors in file order")
  @GetMapping("/{id}/tensors")
  PageResponse<CheckpointTensor> tensors(
      @PathVariable UUID id,
      @Parameter(description = "Only keys starting with this", example = "layer1.")
          @RequestParam(required = false)
          String prefix,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return service.tensors(id, TextParams.key("prefix", prefix), new PageRequest(page, size));
  }

  @Operation(summary = "Download the original bytes (honours Range; ETag is the SHA-256)")
  @ApiResponse(
      responseCode = "200",
      content =
          @Content(
              mediaType = "application/octet-stream",
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(responseCode = "206", description = "The requested range")
  @GetMapping("/{id}/content")
  void content(@PathVariable UUID id, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Checkpoint c = service.get(id);
    String ext = c.format() == CheckpointFormat.SAFETENSORS ? ".safetensors" : ".pt";
    BlobDownload.send(
        blobs,
        c.sha256(),
        MediaType.APPLICATION_OCTET_STREAM_VALUE,
        c.name() + ext,
        request,
        response);
  }

  @Operation(summary = "Delete a checkpoint")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable UUID id) throws IOException {
    service.delete(id);
    return ResponseEntity.noContent().build();
  }

  private static CheckpointUpload upload(
      String name, String filename, String format, String stateDictPath) {
    String n = UploadName.of(name, filename);
    CheckpointFormat f =
        switch (format.toLowerCase(java.util.Locale.ROOT)) {
          case "auto" -> null;
          case "pytorch" -> CheckpointFormat.PYTORCH;
          case "safetensors" -> CheckpointFormat.SAFETENSORS;
          default ->
              throw new InvalidInput(
                  "format",
                  "must be auto, pytorch or safetensors, was " + Problems.quoteInput(format));
        };
    String path =
        stateDictPath == null || stateDictPath.isBlank()
            ? null
            : TextParams.atMost("stateDictPath", stateDictPath, 1024);
    return new CheckpointUpload(n, f, path);
  }

  private static ResponseEntity<Checkpoint> created(Stored<Checkpoint> result) {
    return StoredResponses.of(result, Checkpoint::id, "/api/v1/checkpoints");
  }
}
