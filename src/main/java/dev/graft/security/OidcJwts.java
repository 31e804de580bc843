package dev.graft.security;

import dev.graft.shared.GraftProperties;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtAudienceValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * OIDC mode: JWTs from the provider Spring Boot's {@code
 * spring.security.oauth2.resourceserver.jwt.*} settings name (Boot's decoder checks the signature
 * against the provider's keys, the expiry, and the issuer when {@code issuer-uri} is set), plus the
 * audience: the {@code aud} claim must contain {@code graft.security.oidc.audience}, so a token the
 * same provider issued for another service is refused.
 *
 * <p>Scopes come from the {@code scope} claim (space-separated, or a list) and the {@code scp}
 * claim (a list, or space-separated): {@code graft:read}, {@code graft:write}, {@code graft:admin};
 * other values are ignored. The caller's name is the {@code graft.security.oidc.principal-claim}
 * claim, or {@code sub} when the token lacks it.
 */
final class OidcJwts {

  static final String SCOPE_PREFIX = "graft:";

  private OidcJwts() {}

  /** Boot's decoder with the audience check added. */
  static JwtDecoder withAudience(JwtDecoder boot, String audience) {
    OAuth2TokenValidator<Jwt> audienceCheck = new JwtAudienceValidator(audience);
    return token -> {
      Jwt jwt = boot.decode(token);
      OAuth2TokenValidatorResult result = audienceCheck.validate(jwt);
      if (result.hasErrors()) {
        throw new JwtValidationException(
            "the token's aud claim does not name this service", result.getErrors());
      }
      return jwt;
    };
  }

  /** Turns a verified JWT into the caller: its name and its Graft scopes. */
  static Converter<Jwt, AbstractAuthenticationToken> converter(GraftProperties.Oidc settings) {
    String claim = settings.principalClaim();
    return jwt -> {
      String name = jwt.getClaimAsString(claim);
      if (name == null || name.isBlank()) {
        name = jwt.getSubject();
      }
      if (name == null || name.isBlank()) {
        name = "oidc:unnamed";
      }
      List<GrantedAuthority> authorities =
          scopes(jwt).stream()
              .flatMap(s -> s.withIncluded().stream())
              .distinct()
              .map(s -> (GrantedAuthority) new SimpleGrantedAuthority(s.authority()))
              .toList();
      return new JwtAuthenticationToken(jwt, authorities, name);
    };
  }

  /** The Graft scopes a JWT's {@code scope} and {@code scp} claims grant. */
  static Set<Scope> scopes(Jwt jwt) {
    Set<Scope> out = EnumSet.noneOf(Scope.class);
    for (String claim : List.of("scope", "scp")) {
      Object value = jwt.getClaims().get(claim);
      Collection<?> values =
          value instanceof String s
              ? List.of(s.trim().split("\\s+"))
              : value instanceof Collection<?> c ? c : List.of();
      for (Object v : values) {
        if (v instanceof String s && s.startsWith(SCOPE_PREFIX)) {
          switch (s.substring(SCOPE_PREFIX.length())) {
            case "read" -> out.add(Scope.READ);
            case "write" -> out.add(Scope.WRITE);
            case "admin" -> out.add(Scope.ADMIN);
            default -> {}
          }
        }
      }
    }
    return out;
  }
}
