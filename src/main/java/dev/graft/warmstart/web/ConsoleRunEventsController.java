package dev.graft.warmstart.web;

import dev.graft.warmstart.RunService;
import io.swagger.v3.oas.annotations.Hidden;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The same run events for the console's run page, under {@code /console} so the console's session
 * (not a bearer token) admits it; the console's security chain asks for the read scope as for its
 * other pages. Not part of the API document.
 */
@Controller
@Hidden
class ConsoleRunEventsController {

  private final RunService runs;
  private final RunEventStreams streams;

  ConsoleRunEventsController(RunService runs, RunEventStreams streams) {
    this.runs = runs;
    this.streams = streams;
  }

  @GetMapping(path = "/console/runs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  ResponseEntity<SseEmitter> events(
      @PathVariable UUID id,
      @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
    RunEventId after = RunEventId.parse(lastEventId);
    runs.get(id);
    if (after == RunEventId.FINAL) {
      return ResponseEntity.noContent().build();
    }
    return ResponseEntity.ok()
        .cacheControl(CacheControl.noStore())
        .header("X-Accel-Buffering", "no")
        .body(streams.open(id, after));
  }
}
