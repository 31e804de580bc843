package dev.graft.console;

import dev.graft.security.ApiToken;
import dev.graft.security.AuditEntry;
import dev.graft.security.AuditLog;
import dev.graft.security.CreatedToken;
import dev.graft.security.NewToken;
import dev.graft.security.TokenService;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.web.TextParams;
import io.swagger.v3.oas.annotations.Hidden;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Admin: tokens (create with the secret shown once, revoke) and the audit log. Admin scope. */
@Controller
@Hidden
class AdminPages {

  private final TokenService tokens;
  private final AuditLog audit;

  AdminPages(TokenService tokens, AuditLog audit) {
    this.tokens = tokens;
    this.audit = audit;
  }

  @GetMapping("/console/admin/tokens")
  String tokens(@RequestParam(defaultValue = "0") int page, Model model) {
    PageResponse<ApiToken> found = tokens.list(new PageRequest(page, Pager.SIZE));
    model.addAttribute("items", found.items());
    model.addAttribute("pager", Pager.of(found));
    return "console/tokens";
  }

  /** Creates a token and shows its secret on this answer only (never in a URL or a redirect). */
  @PostMapping("/console/admin/tokens")
  String create(
      @RequestParam(required = false) String name,
      @RequestParam(required = false) List<String> scopes,
      @RequestParam(required = false) String expires,
      Model model) {
    Instant expiresAt = null;
    if (expires != null && !expires.isBlank()) {
      try {
        expiresAt = LocalDate.parse(expires).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException e) {
        throw new InvalidInput("expiresAt", "must be a date such as 2027-06-30");
      }
    }
    CreatedToken created =
        tokens.create(new NewToken(name, scopes == null ? List.of() : scopes, expiresAt));
    model.addAttribute("created", created);
    return "console/token-created";
  }

  @PostMapping("/console/admin/tokens/{id}/revoke")
  String revoke(@PathVariable UUID id, RedirectAttributes flash) {
    tokens.revoke(id);
    flash.addFlashAttribute("notice", "The token was revoked; it is refused from now on.");
    return "redirect:/console/admin/tokens";
  }

  @GetMapping("/console/admin/audit")
  String audit(
      @RequestParam(required = false) String actor,
      @RequestParam(required = false) String action,
      @RequestParam(defaultValue = "0") int page,
      Model model) {
    String a = actor == null || actor.isBlank() ? null : actor;
    String act = action == null || action.isBlank() ? null : action;
    PageResponse<AuditEntry> found =
        audit.list(
            TextParams.atMost("actor", a, TextParams.MAX_NAME),
            TextParams.atMost("action", act, 64),
            null,
            new PageRequest(page, Pager.SIZE));
    model.addAttribute("actor", a);
    model.addAttribute("action", act);
    model.addAttribute("items", found.items());
    model.addAttribute("pager", Pager.of(found));
    return "console/audit";
  }
}
