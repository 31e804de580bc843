package dev.graft.security.web;

import dev.graft.security.AuditEntry;
import dev.graft.security.AuditLog;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Texts;
import dev.graft.shared.web.TextParams;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The audit log: every change and every refused call. Admin scope. */
@RestController
@RequestMapping("/api/v1/audit")
@Tag(name = "Audit", description = "Who changed what, and which calls were refused (admin scope)")
class AuditController {

  private final AuditLog audit;

  AuditController(AuditLog audit) {
    this.audit = audit;
  }

  @Operation(operationId = "listAuditEvents", summary = "List the audit log, newest first")
  @GetMapping
  PageResponse<AuditEntry> list(
      @Parameter(description = "Only this actor's lines (a token name or an OIDC subject)")
          @RequestParam(required = false)
          String actor,
      @Parameter(description = "Only this action's lines", example = "alias.move")
          @RequestParam(required = false)
          String action,
      @Parameter(
              description = "Only lines at or after this instant (ISO-8601)",
              example = "2025-01-01T00:00:00Z")
          @RequestParam(required = false)
          String since,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return audit.list(
        TextParams.atMost("actor", actor, TextParams.MAX_NAME),
        TextParams.atMost("action", action, 64),
        instant(since),
        new PageRequest(page, size));
  }

  private static Instant instant(String since) {
    if (since == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(since).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidInput(
          "since",
          "must be an ISO-8601 instant such as 2025-01-01T00:00:00Z, was " + Texts.quote(since));
    }
  }
}
