package dev.graft.warmstart.web;

import dev.graft.plan.Report;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Stored;
import dev.graft.warmstart.Run;
import dev.graft.warmstart.RunService;
import dev.graft.warmstart.RunStatus;
import dev.graft.warmstart.WarmStartRequest;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
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
@Tag(name = "Warm-start runs", description = "Asynchronous loads executed by workers through DJL")
class RunController {

  private final RunService runs;

  RunController(RunService runs) {
    this.runs = runs;
  }

  @Operation(summary = "Submit a warm-start run")
  @ApiResponse(
      responseCode = "202",
      description = "Queued (or the first run for this Idempotency-Key and body)")
  @ApiResponse(responseCode = "409", description = "The Idempotency-Key was used with another body")
  @ApiResponse(responseCode = "422", description = "An unknown checkpoint or architecture id")
  @PostMapping
  ResponseEntity<Run> create(
      @RequestBody WarmStartRequest request,
      @Parameter(description = "Repeat-safe submission: the same key and body return the first run")
          @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey) {
    Stored<Run> run = runs.create(request, idempotencyKey);
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create("/api/v1/warm-starts/" + run.resource().id()))
        .body(run.resource());
  }

  @Operation(summary = "List runs, newest first")
  @GetMapping
  PageResponse<Run> list(
      @Parameter(
              description = "only runs with this status",
              schema = @Schema(implementation = RunStatus.class))
          @RequestParam(required = false)
          String status,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return runs.list(status, new PageRequest(page, size));
  }

  @Operation(summary = "Get a run: status, progress, device, error, model version")
  @GetMapping("/{id}")
  Run get(@PathVariable UUID id) {
    return runs.get(id);
  }

  @Operation(summary = "The run's report, as executed")
  @GetMapping("/{id}/report")
  Report report(@PathVariable UUID id) {
    return runs.report(id);
  }

  @Operation(summary = "Cancel a run: a queued run at once, a running one at its next heartbeat")
  @PostMapping("/{id}/cancel")
  Run cancel(@PathVariable UUID id) {
    return runs.cancel(id);
  }
}
