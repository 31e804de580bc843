package dev.graft.warmstart.web;

import dev.graft.plan.Report;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.shared.web.ApiDocs;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.RunStatus;
import dev.graft.warmstart.WarmStartRequest;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Warm-start runs: submit, follow, read the report, cancel. */
@RestController
@RequestMapping("/api/v1/warm-starts")
@Tag(name = "Warm-starts")
class RunController {

  private final RunService runs;

  RunController(RunService runs) {
    this.runs = runs;
  }

  @Operation(
      operationId = "startWarmStart",
      summary = "Submit a warm-start run",
      description =
          "Queued at once; a worker executes it through DJL and registers the result as the next"
              + " version of output.model. Follow it with getWarmStart.")
  @ApiResponse(
      responseCode = "202",
      description = "Queued (or the first run for this Idempotency-Key and body)",
      headers = @Header(name = "Location", ref = ApiDocs.LOCATION))
  @ApiResponse(responseCode = "409", description = "The Idempotency-Key was used with another body")
  @ApiResponse(
      responseCode = "422",
      description = "An unknown checkpoint or architecture id, or options that cannot be applied")
  @PostMapping
  ResponseEntity<Run> create(
      @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true) @RequestBody
          WarmStartRequest request,
      @Parameter(description = ApiDocs.IDEMPOTENCY_KEY)
          @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey) {
    Stored<Run> run = runs.create(request, idempotencyKey);
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create("/api/v1/warm-starts/" + run.resource().id()))
        .body(run.resource());
  }

  @Operation(operationId = "listWarmStarts", summary = "List runs, newest first")
  @ApiResponse(responseCode = "200", description = "A page of runs")
  @GetMapping
  PageResponse<Run> list(
      @Parameter(
              description = "Only runs with this status",
              schema = @Schema(implementation = RunStatus.class))
          @RequestParam(required = false)
          String status,
      @Parameter(description = "Zero-based page number") @RequestParam(defaultValue = "0") int page,
      @Parameter(description = "Items per page, 1 to 1000") @RequestParam(defaultValue = "50")
          int size) {
    return runs.list(status, new PageRequest(page, size));
  }

  @Operation(
      operationId = "getWarmStart",
      summary = "Get a run: status, progress, device, error, model version")
  @ApiResponse(responseCode = "200", description = "The run")
  @ApiResponse(responseCode = "404", description = "No such run")
  @GetMapping("/{id}")
  Run get(@PathVariable UUID id) {
    return runs.get(id);
  }

  @Operation(
      operationId = "getWarmStartReport",
      summary = "The run's report, as executed",
      description =
          "Written when a worker plans the run; a strict run that does not fit ends FAILED with"
              + " this report and PyTorch's error text.")
  @ApiResponse(responseCode = "200", description = "The report")
  @ApiResponse(responseCode = "404", description = "No such run, or no worker has planned it yet")
  @GetMapping("/{id}/report")
  Report report(@PathVariable UUID id) {
    return runs.report(id);
  }

  @Operation(
      operationId = "cancelWarmStart",
      summary = "Cancel a run: a queued run at once, a running one at its next heartbeat")
  @ApiResponse(responseCode = "200", description = "The run, cancelled or being cancelled")
  @ApiResponse(responseCode = "404", description = "No such run")
  @ApiResponse(responseCode = "409", description = "The run already succeeded or failed")
  @PostMapping("/{id}/cancel")
  Run cancel(@PathVariable UUID id) {
    return runs.cancel(id);
  }
}
