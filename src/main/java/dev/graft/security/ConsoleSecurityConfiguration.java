package dev.graft.security;

import dev.graft.shared.GraftProperties;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.servlet.ConfigurableServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.AuthenticatedPrincipal;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The console's security chain, for {@code /console/**} and {@code /} (which redirects there),
 * ordered before the API's stateless one.
 *
 * <p>In {@code token} mode a person signs in by pasting a Graft token into the sign-in form. The
 * token is checked exactly as a bearer token is ({@link TokenIntrospector}: hash comparison,
 * revocation, expiry; a bad one counts towards the address's lockout and is audited), and the
 * session then remembers the token's id, never its secret. Every later request looks the token's
 * row up again, so a revocation or an expiry ends the session on the next request. What a person
 * may do is what the token's scopes allow, by the same {@link ScopeRules} the API uses. The session
 * cookie is HttpOnly and SameSite (see {@code server.servlet.session.cookie.*}), every form carries
 * a CSRF token, and the pages are sent with a Content-Security-Policy that allows only Graft's own
 * scripts.
 *
 * <p>In {@code oidc} mode a person signs in through the provider (Spring Security's {@code
 * oauth2Login}, the authorization code flow, with the client registration {@code graft}). The
 * access token the code exchange returns is checked and mapped by the API's own rules ({@link
 * ConsoleOidcUsers}): the session gets the scopes the API would grant that token, and ends when it
 * expires. Without a client registration nobody can sign in, and the sign-in page says what to
 * configure. In {@code none} mode nobody signs in.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class ConsoleSecurityConfiguration {

  static final String LOGIN = "/console/login";

  private static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
          + " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none';"
          + " form-action 'self'; base-uri 'self'; object-src 'none'";

  @Bean
  @Order(1)
  SecurityFilterChain graftConsoleSecurity(
      HttpSecurity http,
      GraftProperties properties,
      TokenStore tokens,
      RefusalAudit refusals,
      BadTokenLockout lockout,
      ConsoleSignIn ways,
      ObjectProvider<JwtDecoder> jwtDecoder)
      throws Exception {
    http.securityMatcher(
            java.util.stream.Stream.of(
                    java.util.stream.Stream.of("/console", "/console/**", "/"),
                    ScopeRules.CONSOLE_SIGN_IN_PATHS.stream(),
                    ways.throughProvider()
                        ? ScopeRules.CONSOLE_PROVIDER_PATHS.stream()
                        : java.util.stream.Stream.<String>empty())
                .flatMap(x -> x)
                .distinct()
                .toArray(String[]::new))
        .headers(
            h ->
                h.contentSecurityPolicy(c -> c.policyDirectives(CSP))
                    .referrerPolicy(
                        r -> r.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)))
        .requestCache(c -> c.disable())
        .httpBasic(b -> b.disable());
    GraftProperties.SecurityMode mode = properties.security().mode();
    if (mode == GraftProperties.SecurityMode.NONE) {
      http.authorizeHttpRequests(a -> a.anyRequest().permitAll())
          .formLogin(f -> f.disable())
          .logout(l -> l.disable());
      return http.build();
    }
    AuthenticationEntryPoint toSignIn = ConsoleSecurityConfiguration::toSignIn;
    AccessDeniedHandler denied =
        (request, response, e) -> {
          Scope needed = ScopeRules.required(request);
          refusals.refused(
              "access.denied",
              Callers.actor(),
              request.getMethod()
                  + " "
                  + request.getRequestURI()
                  + " needs scope "
                  + needed.wireName(),
              request.getRemoteAddr());
          response.setStatus(HttpServletResponse.SC_FORBIDDEN);
          request.setAttribute("graftNeededScope", needed.wireName());
          request.getRequestDispatcher("/console/denied").forward(request, response);
        };
    if (mode == GraftProperties.SecurityMode.OIDC && !ways.throughProvider()) {
      // No client registration for the provider: nobody can sign in; the sign-in page says why.
      http.authorizeHttpRequests(
              a ->
                  a.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.FORWARD)
                      .permitAll()
                      .requestMatchers(ScopeRules.CONSOLE_SIGN_IN_PATHS.toArray(String[]::new))
                      .permitAll()
                      .anyRequest()
                      .denyAll())
          .exceptionHandling(e -> e.authenticationEntryPoint(toSignIn))
          .formLogin(f -> f.disable())
          .logout(l -> l.disable());
      return http.build();
    }
    if (mode == GraftProperties.SecurityMode.OIDC) {
      JwtDecoder api =
          OidcJwts.withAudience(jwtDecoder.getObject(), properties.security().oidc().audience());
      http.authorizeHttpRequests(
              a ->
                  a.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.FORWARD)
                      .permitAll()
                      .requestMatchers(ScopeRules.CONSOLE_SIGN_IN_PATHS.toArray(String[]::new))
                      .permitAll()
                      .requestMatchers(ScopeRules.CONSOLE_PROVIDER_PATHS.toArray(String[]::new))
                      .permitAll()
                      .requestMatchers("/")
                      .permitAll()
                      .anyRequest()
                      .access(new ScopeAuthorization()))
          .exceptionHandling(e -> e.authenticationEntryPoint(toSignIn).accessDeniedHandler(denied))
          .formLogin(f -> f.disable())
          .oauth2Login(
              o ->
                  o.loginPage(LOGIN)
                      .userInfoEndpoint(
                          u ->
                              u.oidcUserService(
                                  new ConsoleOidcUsers(api, properties.security().oidc())))
                      .defaultSuccessUrl("/console", true)
                      .failureHandler(
                          (request, response, e) ->
                              signInRefused(request, response, e, refusals, null)))
          .logout(
              l ->
                  l.logoutUrl("/console/logout")
                      .logoutSuccessUrl(LOGIN + "?signedOut")
                      .deleteCookies("JSESSIONID"))
          .addFilterBefore(new TokenStillFresh(refusals), AuthorizationFilter.class);
      return http.build();
    }
    TokenIntrospector introspector = new TokenIntrospector(tokens);
    AuthenticationManager signIn =
        authentication -> {
          Object presented = authentication.getCredentials();
          String token = presented == null ? "" : presented.toString().strip();
          try {
            OAuth2AuthenticatedPrincipal p = introspector.introspect(token);
            Person person =
                new Person(
                    UUID.fromString((String) p.getAttribute("token_id")),
                    p.getName(),
                    p.getAttribute("prefix"));
            return UsernamePasswordAuthenticationToken.authenticated(
                person, null, List.copyOf(p.getAuthorities()));
          } catch (BadOpaqueTokenException e) {
            throw new BadCredentialsException(e.getMessage(), e);
          }
        };
    http.authenticationManager(signIn)
        .authorizeHttpRequests(
            a ->
                a.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.FORWARD)
                    .permitAll()
                    .requestMatchers(ScopeRules.CONSOLE_SIGN_IN_PATHS.toArray(String[]::new))
                    .permitAll()
                    .requestMatchers("/")
                    .permitAll()
                    .anyRequest()
                    .access(new ScopeAuthorization()))
        .exceptionHandling(e -> e.authenticationEntryPoint(toSignIn).accessDeniedHandler(denied))
        .formLogin(
            f ->
                f.loginPage(LOGIN)
                    .loginProcessingUrl(LOGIN)
                    .passwordParameter("token")
                    .defaultSuccessUrl("/console", true)
                    .failureHandler(
                        (request, response, e) ->
                            signInRefused(request, response, e, refusals, lockout))
                    .permitAll())
        .logout(
            l ->
                l.logoutUrl("/console/logout")
                    .logoutSuccessUrl(LOGIN + "?signedOut")
                    .deleteCookies("JSESSIONID"))
        .addFilterBefore(
            new LockedOut(lockout),
            org.springframework.security.web.authentication.UsernamePasswordAuthenticationFilter
                .class)
        .addFilterBefore(new StillValid(tokens, refusals), AuthorizationFilter.class);
    return http.build();
  }

  /**
   * In {@code oidc} mode the session cookie is {@code SameSite=Lax} rather than {@code Strict}: the
   * provider sends the person back from its own site, and a browser leaves a {@code Strict} cookie
   * off that request and the redirect after it, so the sign-in could never find its session. Forms
   * keep their CSRF tokens, and {@code Lax} still keeps the cookie off cross-site posts. Applied
   * after Spring Boot's {@code server.servlet.session.cookie.same-site}.
   */
  @Bean
  WebServerFactoryCustomizer<ConfigurableServletWebServerFactory> consoleProviderCookie(
      GraftProperties properties) {
    return new ProviderCookie(properties.security().mode());
  }

  private record ProviderCookie(GraftProperties.SecurityMode mode)
      implements WebServerFactoryCustomizer<ConfigurableServletWebServerFactory>, Ordered {
    @Override
    public void customize(ConfigurableServletWebServerFactory factory) {
      org.springframework.boot.web.server.Cookie cookie =
          factory.getSettings().getSession().getCookie();
      if (mode == GraftProperties.SecurityMode.OIDC
          && cookie.getSameSite() == org.springframework.boot.web.server.Cookie.SameSite.STRICT) {
        cookie.setSameSite(org.springframework.boot.web.server.Cookie.SameSite.LAX);
      }
    }

    @Override
    public int getOrder() {
      return Ordered.LOWEST_PRECEDENCE;
    }
  }

  /** Who signed in: the token's id (looked up on every request), name and display prefix. */
  record Person(UUID tokenId, String name, String prefix)
      implements AuthenticatedPrincipal, Serializable {
    @Override
    public String getName() {
      return name;
    }
  }

  private static void toSignIn(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
      throws IOException {
    redirect(request, response, LOGIN);
  }

  /** A redirect, which htmx follows as a whole-page navigation when it asked in the background. */
  private static void redirect(HttpServletRequest request, HttpServletResponse response, String to)
      throws IOException {
    String target = request.getContextPath() + to;
    if ("true".equals(request.getHeader("HX-Request"))) {
      response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
      response.setHeader("HX-Redirect", target);
    } else {
      response.sendRedirect(target);
    }
  }

  private static void signInRefused(
      HttpServletRequest request,
      HttpServletResponse response,
      AuthenticationException e,
      RefusalAudit refusals,
      BadTokenLockout lockout)
      throws IOException {
    String address = request.getRemoteAddr();
    if (lockout != null) {
      lockout.failed(address);
    }
    refusals.refused(
        "auth.refused", Callers.ANONYMOUS, "console sign-in refused: " + e.getMessage(), address);
    request
        .getSession(true)
        .setAttribute(ConsoleSession.SIGN_IN_MESSAGE, String.valueOf(e.getMessage()));
    response.sendRedirect(request.getContextPath() + LOGIN + "?refused");
  }

  /** Refuses sign-in attempts from an address that presented too many bad tokens. */
  private static final class LockedOut extends OncePerRequestFilter {
    private final BadTokenLockout lockout;

    LockedOut(BadTokenLockout lockout) {
      this.lockout = lockout;
    }

    @Override
    protected void doFilterInternal(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      long wait = lockout.retryAfterSeconds(request.getRemoteAddr());
      if (wait > 0 && "POST".equals(request.getMethod()) && LOGIN.equals(path(request))) {
        request
            .getSession(true)
            .setAttribute(
                ConsoleSession.SIGN_IN_MESSAGE,
                "too many bad tokens from this address; try again in " + wait + " s");
        response.sendRedirect(request.getContextPath() + LOGIN + "?refused");
        return;
      }
      chain.doFilter(request, response);
    }
  }

  private static String path(HttpServletRequest request) {
    return request.getRequestURI().substring(request.getContextPath().length());
  }

  /**
   * Ends a session signed in through the provider once the access token it was granted on expires,
   * as the API would then refuse that token: the person signs in again (usually without typing
   * anything, the provider's own session still being open).
   */
  private static final class TokenStillFresh extends OncePerRequestFilter {
    private final RefusalAudit refusals;

    TokenStillFresh(RefusalAudit refusals) {
      this.refusals = refusals;
    }

    @Override
    protected void doFilterInternal(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      Authentication auth = SecurityContextHolder.getContext().getAuthentication();
      if (auth != null
          && auth.getPrincipal() instanceof ConsoleOidcUsers.OidcPerson person
          && person.expiresAt() != null
          && !person.expiresAt().isAfter(Instant.now())) {
        String ended = "the provider's access token expired at " + person.expiresAt();
        refusals.refused(
            "auth.refused",
            person.getName(),
            "console session ended: " + ended,
            request.getRemoteAddr());
        SecurityContextHolder.clearContext();
        HttpSession session = request.getSession(false);
        if (session != null) {
          session.invalidate();
        }
        request.getSession(true).setAttribute(ConsoleSession.SIGN_IN_MESSAGE, ended);
        redirect(request, response, LOGIN + "?ended");
        return;
      }
      chain.doFilter(request, response);
    }
  }

  /**
   * Looks the signed-in token up on every request: a revoked, expired or deleted token ends the
   * session there and then, and the person is sent to the sign-in page with the reason.
   */
  private static final class StillValid extends OncePerRequestFilter {
    private final TokenStore tokens;
    private final RefusalAudit refusals;

    StillValid(TokenStore tokens, RefusalAudit refusals) {
      this.tokens = tokens;
      this.refusals = refusals;
    }

    @Override
    protected void doFilterInternal(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      Authentication auth = SecurityContextHolder.getContext().getAuthentication();
      if (auth != null && auth.getPrincipal() instanceof Person person) {
        Optional<TokenStore.TokenRow> row = tokens.find(person.tokenId());
        Instant now = Instant.now();
        String ended =
            row.isEmpty()
                ? "the token no longer exists"
                : row.get().revokedAt() != null
                    ? "the token was revoked at " + row.get().revokedAt()
                    : row.get().expiresAt() != null && !row.get().expiresAt().isAfter(now)
                        ? "the token expired at " + row.get().expiresAt()
                        : null;
        if (ended != null) {
          refusals.refused(
              "auth.refused",
              person.name(),
              "console session ended: " + ended,
              request.getRemoteAddr());
          SecurityContextHolder.clearContext();
          HttpSession session = request.getSession(false);
          if (session != null) {
            session.invalidate();
          }
          request.getSession(true).setAttribute(ConsoleSession.SIGN_IN_MESSAGE, ended);
          redirect(request, response, LOGIN + "?ended");
          return;
        }
        List<GrantedAuthority> current =
            row.get().scopes().stream()
                .flatMap(s -> s.withIncluded().stream())
                .distinct()
                .map(s -> (GrantedAuthority) new SimpleGrantedAuthority(s.authority()))
                .toList();
        if (!current.equals(List.copyOf(auth.getAuthorities()))) {
          SecurityContextHolder.getContext()
              .setAuthentication(
                  UsernamePasswordAuthenticationToken.authenticated(person, null, current));
        }
      }
      chain.doFilter(request, response);
    }
  }
}
