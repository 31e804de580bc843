package dev.graft.security;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.DefaultOAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;

/**
 * Turns a presented Graft token into the caller it stands for, looking its row up on every request
 * (so a revocation or an expiry counts from the next request on).
 *
 * <p>The row is found by the token's non-secret prefix; the secret is then checked by comparing
 * SHA-256 hashes with {@link java.security.MessageDigest#isEqual}, in time that does not depend on
 * where they differ. An unknown prefix is compared against a dummy hash, so both failures take the
 * same steps. Only after the secret matches does the answer say that a token was revoked or has
 * expired.
 */
final class TokenIntrospector implements OpaqueTokenIntrospector {

  private static final byte[] NO_SUCH_TOKEN = TokenSecrets.hash("graft_00000000_" + "x".repeat(43));

  private final TokenStore store;

  TokenIntrospector(TokenStore store) {
    this.store = store;
  }

  @Override
  public OAuth2AuthenticatedPrincipal introspect(String token) {
    String prefix = TokenSecrets.prefixOf(token);
    if (prefix == null) {
      throw new BadOpaqueTokenException(
          "the token is malformed: Graft tokens read " + TokenSecrets.SHAPE_IN_WORDS);
    }
    Optional<TokenStore.TokenRow> found = store.findByPrefix(prefix);
    byte[] presented = TokenSecrets.hash(token);
    boolean same =
        TokenSecrets.sameHash(
            presented, found.map(TokenStore.TokenRow::sha256).orElse(NO_SUCH_TOKEN));
    if (found.isEmpty() || !same) {
      throw new BadOpaqueTokenException("the token is not valid");
    }
    TokenStore.TokenRow row = found.get();
    Instant now = Instant.now();
    if (row.revokedAt() != null) {
      throw new BadOpaqueTokenException("the token was revoked at " + row.revokedAt());
    }
    if (row.expiresAt() != null && !row.expiresAt().isAfter(now)) {
      throw new BadOpaqueTokenException("the token expired at " + row.expiresAt());
    }
    List<GrantedAuthority> authorities =
        row.scopes().stream()
            .flatMap(s -> s.withIncluded().stream())
            .distinct()
            .map(s -> (GrantedAuthority) new SimpleGrantedAuthority(s.authority()))
            .toList();
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("sub", row.name());
    attributes.put("token_id", row.id().toString());
    attributes.put("prefix", TokenSecrets.display(row.prefix()));
    attributes.put("scope", row.scopeList().stream().map(Scope::wireName).toList());
    return new DefaultOAuth2AuthenticatedPrincipal(row.name(), attributes, authorities);
  }
}
