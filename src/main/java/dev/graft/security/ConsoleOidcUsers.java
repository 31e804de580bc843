package dev.graft.security;

import dev.graft.shared.GraftProperties;
import java.time.Instant;
import java.util.Collection;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserRequest;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.client.userinfo.OAuth2UserService;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Who signed in to the console through the OIDC provider, and with which scopes: exactly what the
 * API would grant the access token the code exchange returned. The token is decoded by the API's
 * decoder (signature, issuer, expiry, audience) and mapped by {@link OidcJwts} ({@code scope} and
 * {@code scp}, {@code graft:read|write|admin}; the name from the principal claim), so a person gets
 * in the console what their token gets from the API, and a token the API would refuse, or one that
 * grants no Graft scope, signs nobody in.
 */
final class ConsoleOidcUsers implements OAuth2UserService<OidcUserRequest, OidcUser> {

  private final OidcUserService provider = new OidcUserService();
  private final JwtDecoder api;
  private final GraftProperties.Oidc settings;

  ConsoleOidcUsers(JwtDecoder api, GraftProperties.Oidc settings) {
    this.api = api;
    this.settings = settings;
  }

  @Override
  public OidcUser loadUser(OidcUserRequest request) throws OAuth2AuthenticationException {
    // The ID token is already checked by Spring Security (signature, issuer, audience, nonce);
    // the provider's user info, where it has an endpoint, is read as usual.
    OidcUser user = provider.loadUser(request);
    Jwt access;
    try {
      access = api.decode(request.getAccessToken().getTokenValue());
    } catch (JwtException e) {
      throw refused(
          "invalid_token",
          "the provider's access token is not one Graft's API accepts: " + e.getMessage());
    }
    JwtAuthenticationToken caller =
        (JwtAuthenticationToken) OidcJwts.converter(settings).convert(access);
    if (caller.getAuthorities().isEmpty()) {
      throw refused(
          "insufficient_scope",
          "the provider granted none of the scopes graft:read, graft:write, graft:admin");
    }
    return new OidcPerson(caller.getAuthorities(), user, caller.getName(), access.getExpiresAt());
  }

  private static OAuth2AuthenticationException refused(String code, String why) {
    return new OAuth2AuthenticationException(new OAuth2Error(code, why, null), why);
  }

  /**
   * A person signed in through the provider: the ID token's claims, the name and scopes the API
   * would see in the access token, and when that token expires (the session ends then).
   */
  static final class OidcPerson extends DefaultOidcUser {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final Instant expiresAt;

    OidcPerson(
        Collection<? extends GrantedAuthority> scopes,
        OidcUser user,
        String name,
        Instant expiresAt) {
      super(scopes, user.getIdToken(), user.getUserInfo());
      this.name = name;
      this.expiresAt = expiresAt;
    }

    @Override
    public String getName() {
      return name;
    }

    /** When the access token the person signed in with expires; {@code null} when it does not. */
    Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof OidcPerson p && super.equals(p) && name.equals(p.name);
    }

    @Override
    public int hashCode() {
      return super.hashCode() * 31 + name.hashCode();
    }
  }
}
