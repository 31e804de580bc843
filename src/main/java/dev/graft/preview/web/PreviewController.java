package dev.graft.preview.web;

import dev.graft.plan.Report;
import dev.graft.preview.PreviewRequest;
import dev.graft.preview.PreviewService;
import dev.graft.shared.InvalidInput;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The preview endpoint: a load plan before any tensor is read. */
@RestController
@RequestMapping("/api/v1/previews")
@Tag(name = "Previews")
class PreviewController {

  private final PreviewService service;

  PreviewController(PreviewService service) {
    this.service = service;
  }

  @Operation(
      operationId = "createPreview",
      summary = "Preview loading a checkpoint into an architecture under load options",
      description =
          "Computed from the stored indexes alone: no tensor data is read, so its time does not"
              + " grow with the file's size. A plan that would fail is still a 200, with outcome"
              + " FAILED and PyTorch's error text.")
  @ApiResponse(
      responseCode = "200",
      description = "The report; outcome FAILED carries PyTorch's error text")
  @ApiResponse(
      responseCode = "422",
      description =
          "An unknown checkpoint or architecture id, options or sources that cannot be used (a"
              + " source whose globs leave nothing)")
  @PostMapping
  Report preview(
      @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true) @RequestBody
          PreviewRequest request,
      @Parameter(
              description =
                  "Which entries the report lists: all (the default), changed (every entry whose"
                      + " status is not LOADED, for clients that do not need every loaded entry),"
                      + " or none. The summary and every other list stay whole.",
              schema = @Schema(allowableValues = {"all", "changed", "none"}))
          @RequestParam(defaultValue = "all")
          String entries) {
    Report report =
        service.preview(
            request.checkpointId(), request.sources(), request.architectureId(), request.options());
    return switch (entries) {
      case "all" -> report;
      case "changed" -> report.changedEntriesOnly();
      case "none" -> report.withEntries(List.of());
      default -> throw new InvalidInput("entries", "must be all, changed or none");
    };
  }
}
