package dev.graft.security;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.PathContainer;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Which scope each call needs, as API.md's scope table says, in one place: the filter chain
 * authorizes with it, the 403 answer names the scope it lacked, and the OpenAPI document lists it
 * per operation. Paths are matched as Spring MVC matches them (decoded path patterns), so a path
 * spelled with escapes is judged as the handler it reaches.
 *
 * <ul>
 *   <li>{@code admin}: tokens, the audit log, webhooks, whatever the method;
 *   <li>{@code read}: every {@code GET} (and {@code HEAD}) under {@code /api}, and {@code POST
 *       /api/v1/previews} and {@code POST /api/v1/diffs} (they compute, store nothing);
 *   <li>{@code write}: every other call under {@code /api};
 *   <li>the console's pages alike: {@code /console/admin/**} admin, every {@code GET} and the
 *       preview form read, every other form write;
 *   <li>{@code read}: {@code /actuator/prometheus};
 *   <li>outside {@code /api}, any valid token, except the public paths below.
 * </ul>
 */
final class ScopeRules {

  /** Open without a token: health probes, the API description and Swagger UI. */
  static final List<String> PUBLIC_PATHS =
      List.of(
          "/actuator/health/**",
          "/v3/api-docs/**",
          "/v3/api-docs.yaml",
          "/swagger-ui.html",
          "/swagger-ui/**");

  /**
   * Open without signing in, so that a person can sign in to the console: its sign-in page, its
   * static assets and the WebJars it loads (htmx). The console's own session-based chain ({@link
   * ConsoleSecurityConfiguration}) guards the rest of {@code /console}.
   */
  static final List<String> CONSOLE_SIGN_IN_PATHS =
      List.of("/console/login", "/console/assets/**", "/webjars/**");

  /**
   * Where the console's sign-in through the OIDC provider starts and where the provider sends the
   * person back (Spring Security's defaults, so a client registration needs no redirect URI of its
   * own); open to everyone, and the console's chain's only in {@code oidc} mode with a
   * registration.
   */
  static final List<String> CONSOLE_PROVIDER_PATHS =
      List.of("/oauth2/authorization/**", "/login/oauth2/code/**");

  private record Rule(HttpMethod method, String pattern, Scope scope) {}

  private static final List<Rule> RULES =
      List.of(
          new Rule(null, "/api/v1/tokens/**", Scope.ADMIN),
          new Rule(null, "/api/v1/audit/**", Scope.ADMIN),
          new Rule(null, "/api/v1/webhooks/**", Scope.ADMIN),
          new Rule(HttpMethod.GET, "/api/**", Scope.READ),
          new Rule(HttpMethod.HEAD, "/api/**", Scope.READ),
          new Rule(HttpMethod.POST, "/api/v1/previews", Scope.READ),
          // A diff reads two layouts and stores nothing, like a preview.
          new Rule(HttpMethod.POST, "/api/v1/diffs", Scope.READ),
          new Rule(null, "/api/**", Scope.WRITE),
          // The console's pages follow the same table: reading is read, a preview is read, every
          // other form that changes something is write, and the admin pages are admin.
          new Rule(null, "/console/admin/**", Scope.ADMIN),
          new Rule(HttpMethod.GET, "/console/**", Scope.READ),
          new Rule(HttpMethod.HEAD, "/console/**", Scope.READ),
          new Rule(HttpMethod.POST, "/console/preview", Scope.READ),
          new Rule(null, "/console/**", Scope.WRITE),
          // Metrics name models and show load: for readers, never anonymous.
          new Rule(null, "/actuator/prometheus", Scope.READ),
          new Rule(null, "/**", Scope.READ));

  private static final List<RequestMatcher> PUBLIC_MATCHERS =
      java.util.stream.Stream.concat(PUBLIC_PATHS.stream(), CONSOLE_SIGN_IN_PATHS.stream())
          .map(p -> (RequestMatcher) PathPatternRequestMatcher.withDefaults().matcher(p))
          .toList();

  private static final List<RequestMatcher> RULE_MATCHERS =
      RULES.stream()
          .map(
              r ->
                  (RequestMatcher)
                      PathPatternRequestMatcher.withDefaults().matcher(r.method(), r.pattern()))
          .toList();

  private ScopeRules() {}

  /** Whether a request may be made without a token. */
  static boolean isPublic(HttpServletRequest request) {
    return PUBLIC_MATCHERS.stream().anyMatch(m -> m.matches(request));
  }

  /** The scope a request needs (public requests aside). */
  static Scope required(HttpServletRequest request) {
    for (int i = 0; i < RULES.size(); i++) {
      if (RULE_MATCHERS.get(i).matches(request)) {
        return RULES.get(i).scope();
      }
    }
    return Scope.ADMIN;
  }

  /**
   * Whether a path (as a template, e.g. from the OpenAPI document) may be called without a token.
   */
  static boolean isPublic(String path) {
    return java.util.stream.Stream.concat(PUBLIC_PATHS.stream(), CONSOLE_SIGN_IN_PATHS.stream())
        .anyMatch(p -> matches(p, path));
  }

  /** The scope a call needs, by method and path (a template, e.g. from the OpenAPI document). */
  static Scope required(String method, String path) {
    for (Rule r : RULES) {
      if ((r.method() == null || r.method().name().equalsIgnoreCase(method))
          && matches(r.pattern(), path)) {
        return r.scope();
      }
    }
    return Scope.ADMIN;
  }

  private static boolean matches(String pattern, String path) {
    PathPattern p = PathPatternParser.defaultInstance.parse(pattern);
    return p.matches(PathContainer.parsePath(path));
  }
}
