package dev.graft.security;

import dev.graft.shared.GraftProperties;
import jakarta.servlet.DispatcherType;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The one security filter chain, for the mode {@code graft.security.mode} chooses.
 *
 * <p>The API is stateless: no session, no cookie, so no CSRF token either (a bearer token is not
 * sent by a browser on its own). The console has its own session-based chain for {@code
 * /console/**} with CSRF protection, ordered before this one ({@link
 * ConsoleSecurityConfiguration}). Graft's own servlet filters (the request text guard, the JSON
 * body guard) run before this chain; the worker-role filter after it. A process without a web
 * server (a test without one) has no chain.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class SecurityConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

  @Bean
  SecurityFilterChain graftSecurity(
      HttpSecurity http,
      GraftProperties properties,
      TokenStore tokens,
      RefusalAudit refusals,
      BadTokenLockout lockout,
      ObjectProvider<JwtDecoder> jwtDecoder)
      throws Exception {
    http.csrf(AbstractHttpConfigurer::disable)
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .requestCache(AbstractHttpConfigurer::disable)
        .logout(AbstractHttpConfigurer::disable)
        .formLogin(AbstractHttpConfigurer::disable)
        .httpBasic(AbstractHttpConfigurer::disable);
    GraftProperties.Security settings = properties.security();
    if (settings.mode() == GraftProperties.SecurityMode.NONE) {
      log.warn(
          "graft.security.mode=none: Graft checks no token, so anyone who can reach it may read,"
              + " change and delete every checkpoint, run and model version. Use it only where"
              + " nobody else can reach the port; the default is graft.security.mode=token.");
      http.authorizeHttpRequests(a -> a.anyRequest().permitAll());
      return http.build();
    }
    boolean oidc = settings.mode() == GraftProperties.SecurityMode.OIDC;
    Function<Scope, String> scopeName =
        oidc ? s -> OidcJwts.SCOPE_PREFIX + s.wireName() : Scope::wireName;
    ProblemAnswers answers = new ProblemAnswers(refusals, lockout, scopeName);
    http.authorizeHttpRequests(
            a ->
                a.dispatcherTypeMatchers(DispatcherType.ERROR)
                    .permitAll()
                    .requestMatchers(ScopeRules.PUBLIC_PATHS.toArray(String[]::new))
                    .permitAll()
                    .requestMatchers(ScopeRules.CONSOLE_SIGN_IN_PATHS.toArray(String[]::new))
                    .permitAll()
                    .anyRequest()
                    .access(new ScopeAuthorization()))
        .exceptionHandling(e -> e.authenticationEntryPoint(answers).accessDeniedHandler(answers))
        .addFilterBefore(
            new LockoutFilter(lockout, answers), BearerTokenAuthenticationFilter.class);
    if (oidc) {
      JwtDecoder boot = jwtDecoder.getIfAvailable();
      if (boot == null) {
        throw new IllegalStateException(
            "graft.security.mode=oidc needs the provider:"
                + " set spring.security.oauth2.resourceserver.jwt.issuer-uri (or jwk-set-uri)");
      }
      JwtDecoder decoder = OidcJwts.withAudience(boot, settings.oidc().audience());
      http.oauth2ResourceServer(
          o ->
              o.authenticationEntryPoint(answers)
                  .accessDeniedHandler(answers)
                  .jwt(
                      j ->
                          j.decoder(decoder)
                              .jwtAuthenticationConverter(OidcJwts.converter(settings.oidc()))));
    } else {
      http.oauth2ResourceServer(
          o ->
              o.authenticationEntryPoint(answers)
                  .accessDeniedHandler(answers)
                  .opaqueToken(t -> t.introspector(new TokenIntrospector(tokens))));
    }
    return http.build();
  }
}
