package dev.graft.warmstart.web;

import dev.graft.warmstart.RunService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** A run's live progress as server-sent events. */
@RestController
@RequestMapping("/api/v1/warm-starts")
@Tag(name = "Warm-start runs", description = "Asynchronous loads executed by workers through DJL")
class RunEventsController {

  private final RunService runs;
  private final RunEventStreams streams;

  RunEventsController(RunService runs, RunEventStreams streams) {
    this.runs = runs;
    this.streams = streams;
  }

  @Operation(
      operationId = "streamRunEvents",
      summary =
          "Follow a run: a 'progress' event when its progress moves (read at each heartbeat), a"
              + " final 'status' event with the Run, then the stream ends")
  @ApiResponse(
      responseCode = "200",
      description =
          "text/event-stream. progress: {runId, status, attempt, device, tensorsDone,"
              + " tensorsTotal, bytesDone, bytesTotal}, id attempt.tensors.bytes; status: the Run,"
              + " id 'end'")
  @ApiResponse(
      responseCode = "204",
      description = "Last-Event-ID is 'end': the client has seen the final event")
  @ApiResponse(responseCode = "404", description = "No such run")
  @ApiResponse(
      responseCode = "429",
      description = "graft.events.max-streams streams are open; Retry-After says when to retry")
  @GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  ResponseEntity<SseEmitter> events(
      @PathVariable UUID id,
      @Parameter(description = "Resume after this event id (sent by EventSource on reconnect)")
          @RequestHeader(name = "Last-Event-ID", required = false)
          String lastEventId) {
    RunEventId after = RunEventId.parse(lastEventId);
    runs.get(id);
    if (after == RunEventId.FINAL) {
      // 204 tells an EventSource to stop reconnecting.
      return ResponseEntity.noContent().build();
    }
    return ResponseEntity.ok()
        .cacheControl(CacheControl.noStore())
        .header("X-Accel-Buffering", "no")
        .body(streams.open(id, after));
  }
}
