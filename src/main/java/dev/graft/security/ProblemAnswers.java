package dev.graft.security;

import dev.graft.shared.web.Problems;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * The security layer's answers, in the problem+json shape of every other error ({@link Problems}):
 * 401 with {@code WWW-Authenticate: Bearer} (RFC 6750's {@code error="invalid_token"} when a token
 * was refused), 403 with {@code error="insufficient_scope"} and the scope the call needs, 429 with
 * {@code Retry-After} for a locked-out address. Each refusal goes to the audit log (aggregated, see
 * {@link RefusalAudit}); each refused token counts towards the address's lockout.
 */
final class ProblemAnswers implements AuthenticationEntryPoint, AccessDeniedHandler {

  private final RefusalAudit refusals;
  private final BadTokenLockout lockout;
  private final Function<Scope, String> scopeName;

  /**
   * @param scopeName how a scope is spelled to this mode's callers ({@code write}, or {@code
   *     graft:write} in a JWT)
   */
  ProblemAnswers(
      RefusalAudit refusals, BadTokenLockout lockout, Function<Scope, String> scopeName) {
    this.refusals = refusals;
    this.lockout = lockout;
    this.scopeName = scopeName;
  }

  @Override
  public void commence(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
      throws IOException {
    String detail;
    String challenge;
    if (e instanceof InsufficientAuthenticationException
        || !(e instanceof OAuth2AuthenticationException)) {
      detail = "this call needs a bearer token: send 'Authorization: Bearer <token>'";
      challenge = "Bearer";
    } else {
      String reason = reason((OAuth2AuthenticationException) e);
      detail = "the bearer token was refused: " + reason;
      challenge =
          "Bearer error=\"invalid_token\", error_description=\"" + headerSafe(reason) + "\"";
      lockout.failed(request.getRemoteAddr());
    }
    refusals.refused(
        "auth.refused", Callers.ANONYMOUS, call(request) + ": " + detail, request.getRemoteAddr());
    response.setHeader("WWW-Authenticate", challenge);
    Problems.send(response, 401, "unauthorized", "Unauthorized", detail);
  }

  @Override
  public void handle(
      HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
      throws IOException {
    Scope needed = ScopeRules.required(request);
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    String held =
        auth == null
            ? ""
            : auth.getAuthorities().stream()
                .map(GrantedAuthority::getAuthority)
                .filter(a -> a.equals("read") || a.equals("write") || a.equals("admin"))
                .map(a -> scopeName.apply(Scope.fromWireName(a)))
                .collect(Collectors.joining(", "));
    String actor = Callers.actor();
    String detail =
        "this call needs the '"
            + scopeName.apply(needed)
            + "' scope; "
            + (held.isEmpty() ? "the caller has no Graft scope" : "the caller has " + held);
    refusals.refused(
        "access.denied", actor, call(request) + ": " + detail, request.getRemoteAddr());
    response.setHeader(
        "WWW-Authenticate",
        "Bearer error=\"insufficient_scope\", scope=\"" + scopeName.apply(needed) + "\"");
    Problems.send(response, 403, "forbidden", "Forbidden", detail);
  }

  /** Answers a request from a locked-out address. */
  void throttled(HttpServletRequest request, HttpServletResponse response, long retryAfterSeconds)
      throws IOException {
    String detail =
        "too many refused tokens from this address; it may try again in "
            + retryAfterSeconds
            + " s";
    refusals.refused(
        "auth.throttled",
        Callers.ANONYMOUS,
        call(request) + ": " + detail,
        request.getRemoteAddr());
    response.setHeader("Retry-After", String.valueOf(retryAfterSeconds));
    Problems.send(response, 429, "too-many-refused-tokens", "Too many refused tokens", detail);
  }

  private static String reason(OAuth2AuthenticationException e) {
    String description = e.getError() == null ? null : e.getError().getDescription();
    if (description == null || description.isBlank()) {
      description = e.getMessage();
    }
    return description == null || description.isBlank() ? "the token is not valid" : description;
  }

  /** The method and path, for the audit log: client text, quoted and cut. */
  private static String call(HttpServletRequest request) {
    return request.getMethod() + " " + dev.graft.shared.Texts.quote(request.getRequestURI());
  }

  /** Text fit for a quoted-string in a header: printable ASCII without quotes, at most 200. */
  private static String headerSafe(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : ' ');
    }
    return b.toString();
  }
}
