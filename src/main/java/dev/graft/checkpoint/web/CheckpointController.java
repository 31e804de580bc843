package dev.graft.checkpoint.web;

import dev.graft.checkpoint.Checkpoint;
import dev.graft.checkpoint.CheckpointNotFound;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointTensor;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.format.CheckpointFormat;
import dev.graft.shared.ContentIngest;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.ApiDocs;
import dev.graft.shared.web.BlobDownload;
import dev.graft.shared.web.MultipartFileStream;
import dev.graft.shared.web.Problems;
import dev.graft.shared.web.StoredResponses;
import dev.graft.shared.web.TextParams;
import dev.graft.shared.web.UploadName;
import dev.graft.storage.BlobStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
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
@Tag(name = "Checkpoints")
class CheckpointController {

  private final CheckpointService service;
  private final BlobStore blobs;

  CheckpointController(CheckpointService service, BlobStore blobs) {
    this.service = service;
    this.blobs = blobs;
  }

  @Operation(hidden = true)
  @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  ResponseEntity<Checkpoint> uploadRaw(
      @RequestParam(required = false) String name,
      @RequestParam(defaultValue = "auto") String format,
      @RequestParam(required = false) String stateDictPath,
      HttpServletRequest request,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
      throws IOException {
    CheckpointUpload upload = upload(name, null, format, stateDictPath);
    return created(service.upload(upload, request.getInputStream(), idempotencyKey));
  }

  /**
   * A file part that starts a sharded upload: the index, or a shard named as Hugging Face names it.
   */
  private static final java.util.regex.Pattern SHARDED =
      java.util.regex.Pattern.compile(
          "(\\.index\\.json|-[0-9]{5}-of-[0-9]{5}\\.(safetensors|bin))$");

  @Operation(
      operationId = "uploadCheckpoint",
      summary = "Upload a checkpoint (streamed, any size)",
      description =
          ApiDocs.UPLOAD_BODY
              + " A torch.save file (a state dict, or a nested checkpoint whose state dict sits at"
              + " stateDictPath) or safetensors. Bytes stored before answer 200 with the existing"
              + " checkpoint. A checkpoint in Hugging Face's sharded layout is sent as several"
              + " 'file' parts, the first of them the index (model.safetensors.index.json,"
              + " pytorch_model.bin.index.json) or a shard named as Hugging Face names it"
              + " (model-00001-of-00003.safetensors): the index is checked against the shards"
              + " (every key exactly once, no shard missing or extra, total_size right), each file"
              + " is stored as a blob of its own, and the checkpoint's shards list them.",
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
                                      description = "The checkpoint file")),
                      encoding =
                          @Encoding(
                              name = "file",
                              contentType = MediaType.APPLICATION_OCTET_STREAM_VALUE))))
  @ApiResponse(
      responseCode = "201",
      description = "New checkpoint stored",
      headers = @Header(name = "Location", ref = ApiDocs.LOCATION),
      content = @Content(schema = @Schema(implementation = Checkpoint.class)))
  @ApiResponse(
      responseCode = "200",
      description = "Identical bytes were stored before; the existing checkpoint",
      content = @Content(schema = @Schema(implementation = Checkpoint.class)))
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
  ResponseEntity<Checkpoint> uploadMultipart(
      @Parameter(
              description = "The checkpoint's name; the file name (or 'checkpoint') when absent",
              example = "resnet18-epoch3")
          @RequestParam(required = false)
          String name,
      @Parameter(
              description = "The file's format; detected when auto",
              schema =
                  @Schema(
                      allowableValues = {"auto", "pytorch", "safetensors"},
                      defaultValue = "auto"))
          @RequestParam(defaultValue = "auto")
          String format,
      @Parameter(
              description =
                  "Where the state dict sits in a nested checkpoint (detected when absent)",
              example = "model_state_dict")
          @RequestParam(required = false)
          String stateDictPath,
      HttpServletRequest request,
      @Parameter(description = ApiDocs.IDEMPOTENCY_KEY)
          @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey)
      throws IOException {
    MultipartFileStream.Parts parts =
        MultipartFileStream.parts(request.getContentType(), request.getInputStream(), "file");
    MultipartFileStream.Part first = parts.next();
    if (first == null) {
      throw new MultipartFileStream.MalformedMultipart("multipart body has no part named 'file'");
    }
    if (first.filename() != null && SHARDED.matcher(first.filename()).find()) {
      // Hugging Face's sharded layout: the index and its shards, one file part each.
      if (idempotencyKey != null) {
        throw new InvalidInput(
            "Idempotency-Key",
            "is not taken with a sharded upload; the same files uploaded again answer 200 with"
                + " the checkpoint stored before");
      }
      if (stateDictPath != null && !stateDictPath.isBlank()) {
        throw new InvalidInput(
            "stateDictPath", "does not apply to a sharded upload, whose shards are flat");
      }
      CheckpointUpload upload = upload(name, "checkpoint", format, null);
      MultipartFileStream.Part[] pending = {first};
      return created(
          service.uploadSharded(
              upload,
              () -> {
                MultipartFileStream.Part p = pending[0];
                pending[0] = null;
                p = p != null ? p : parts.next();
                return p == null ? null : new ContentIngest.Arriving(p.filename(), p.body());
              }));
    }
    CheckpointUpload upload = upload(name, first.filename(), format, stateDictPath);
    return created(service.upload(upload, first.body(), idempotencyKey));
  }

  @Operation(
      operationId = "listCheckpoints",
      summary = "List checkpoints, newest first",
      description =
          "sha256 finds the checkpoint holding a file's bytes, so a client can reuse it instead of"
              + " uploading the file again.")
  @ApiResponse(responseCode = "200", description = "A page of checkpoints")
  @GetMapping
  PageResponse<Checkpoint> list(
      @Parameter(description = "Only names containing this (ignoring case)")
          @RequestParam(required = false)
          String q,
      @Parameter(
              description = "Only the checkpoint with these bytes: their SHA-256 in hex",
              schema = @Schema(pattern = "^[0-9a-f]{64}$"))
          @RequestParam(required = false)
          String sha256,
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return service.list(
        TextParams.atMost("q", q, TextParams.MAX_NAME),
        TextParams.sha256("sha256", sha256),
        new PageRequest(page, size));
  }

  @Operation(operationId = "getCheckpoint", summary = "Get a checkpoint")
  @ApiResponse(responseCode = "200", description = "The checkpoint")
  @ApiResponse(responseCode = "404", description = "No such checkpoint")
  @GetMapping("/{id}")
  Checkpoint get(@PathVariable UUID id) {
    return service.get(id);
  }

  @Operation(
      operationId = "listCheckpointTensors",
      summary = "List a checkpoint's tensors in file order")
  @ApiResponse(responseCode = "200", description = "A page of tensors")
  @ApiResponse(responseCode = "404", description = "No such checkpoint")
  @GetMapping("/{id}/tensors")
  PageResponse<CheckpointTensor> tensors(
      @PathVariable UUID id,
      @Parameter(description = "Only keys starting with this", example = "layer1.")
          @RequestParam(required = false)
          String prefix,
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return service.tensors(id, TextParams.key("prefix", prefix), new PageRequest(page, size));
  }

  @Operation(
      operationId = "downloadCheckpoint",
      summary = "Download the original bytes (honours Range; ETag is the SHA-256)")
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
  @ApiResponse(responseCode = "404", description = "No such checkpoint")
  @ApiResponse(
      responseCode = "416",
      description = "The range lies outside the file",
      headers = @Header(name = "Content-Range", ref = ApiDocs.CONTENT_RANGE))
  @GetMapping("/{id}/content")
  void content(@PathVariable UUID id, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Checkpoint c = service.get(id);
    // A sharded checkpoint's own bytes are its manifest, which names each file to fetch.
    String ext =
        !c.shards().isEmpty()
            ? ".sha256"
            : c.format() == CheckpointFormat.SAFETENSORS ? ".safetensors" : ".pt";
    BlobDownload.send(
        blobs,
        c.sha256(),
        MediaType.APPLICATION_OCTET_STREAM_VALUE,
        c.name() + ext,
        request,
        response);
  }

  @Operation(
      operationId = "downloadCheckpointFile",
      summary =
          "Download one file of a checkpoint uploaded in shards (the index or a shard), by the"
              + " name its shards list gives; honours Range, ETag is the SHA-256")
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
        @Header(name = "Content-Range", ref = ApiDocs.CONTENT_RANGE)
      },
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "304",
      description = "If-None-Match named the current ETag",
      headers = @Header(name = "ETag", ref = ApiDocs.ETAG))
  @ApiResponse(responseCode = "404", description = "No such checkpoint, or no such file in it")
  @ApiResponse(
      responseCode = "416",
      description = "The range lies outside the file",
      headers = @Header(name = "Content-Range", ref = ApiDocs.CONTENT_RANGE))
  @GetMapping("/{id}/files/{fileName}")
  void file(
      @PathVariable UUID id,
      @Parameter(
              description = "The file's name, as the checkpoint's shards list it",
              example = "model-00001-of-00003.safetensors")
          @PathVariable
          String fileName,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    Checkpoint.Shard file =
        service.get(id).shards().stream()
            .filter(f -> f.fileName().equals(fileName))
            .findFirst()
            .orElseThrow(() -> CheckpointNotFound.file(id, fileName));
    BlobDownload.send(
        blobs,
        file.sha256(),
        MediaType.APPLICATION_OCTET_STREAM_VALUE,
        file.fileName(),
        request,
        response);
  }

  @Operation(
      operationId = "deleteCheckpoint",
      summary = "Delete a checkpoint; refused while a model version or an active run uses it")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such checkpoint")
  @ApiResponse(
      responseCode = "409",
      description = "A model version's lineage or a queued or running run uses it")
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
