package dev.graft.security;

import dev.graft.shared.GraftProperties;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.shared.Texts;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Graft's bearer tokens: creation (the secret is shown once and stored only as a hash), listing
 * (never a secret) and revocation, which the next request already sees (every request looks its
 * token up; nothing is cached).
 */
@Service
public class TokenService {

  private static final int MAX_NAME = 255;
  private static final int PREFIX_ATTEMPTS = 5;

  private final TokenStore store;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final GraftProperties.SecurityMode mode;

  TokenService(
      TokenStore store, AuditLog audit, TransactionTemplate tx, GraftProperties properties) {
    this.store = store;
    this.audit = audit;
    this.tx = tx;
    this.mode = properties.security().mode();
  }

  /**
   * Creates a token.
   *
   * @return the token with its secret, which is not kept and cannot be shown again
   * @throws InvalidInput naming the field when the name, a scope or the expiry is invalid
   * @throws TokenNameTaken when a live token already has this name
   * @throws TokensNotIssued when Graft is not in token mode
   */
  public CreatedToken create(NewToken request) {
    if (mode != GraftProperties.SecurityMode.TOKEN) {
      throw new TokensNotIssued(
          "graft.security.mode is "
              + mode.name().toLowerCase(java.util.Locale.ROOT)
              + ": Graft does not accept its own tokens in this mode, so none can be created");
    }
    if (request == null) {
      throw new InvalidInput("body", "is required: {\"name\": ..., \"scopes\": [...]}");
    }
    String name = checkName(request.name());
    Set<Scope> scopes = checkScopes(request.scopes());
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Instant expiresAt =
        request.expiresAt() == null ? null : request.expiresAt().truncatedTo(ChronoUnit.MICROS);
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw new InvalidInput("expiresAt", "must be in the future, was " + expiresAt);
    }
    String actor = Callers.actor();
    for (int attempt = 1; ; attempt++) {
      String token = TokenSecrets.newToken();
      TokenStore.TokenRow row =
          new TokenStore.TokenRow(
              UUID.randomUUID(),
              name,
              TokenSecrets.prefixOf(token),
              TokenSecrets.hash(token),
              scopes,
              now,
              actor,
              expiresAt,
              null,
              false);
      try {
        tx.executeWithoutResult(
            status -> {
              store.insert(row);
              audit.record(
                  "token.create",
                  "token",
                  row.id().toString(),
                  "token "
                      + Texts.quote(name)
                      + " ("
                      + TokenSecrets.display(row.prefix())
                      + ") with scopes "
                      + row.scopeList().stream().map(Scope::wireName).toList()
                      + (expiresAt == null ? "" : ", expiring " + expiresAt));
            });
        return new CreatedToken(
            row.id(),
            name,
            row.scopeList(),
            token,
            TokenSecrets.display(row.prefix()),
            now,
            expiresAt);
      } catch (DuplicateKeyException e) {
        if (String.valueOf(e.getMessage()).contains("api_token_live_name_idx")) {
          throw new TokenNameTaken(
              "a token named " + Texts.quote(name) + " exists; revoke it or choose another name");
        }
        // Two tokens drew the same 32-bit prefix: draw again.
        if (attempt == PREFIX_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** Tokens, newest first, revoked ones included (with {@code revokedAt}); never a secret. */
  @Transactional(readOnly = true)
  public PageResponse<ApiToken> list(PageRequest page) {
    List<ApiToken> items =
        store.page(page.offset(), page.size()).stream().map(TokenStore.TokenRow::toDto).toList();
    return new PageResponse<>(items, page.page(), page.size(), store.count());
  }

  /**
   * Revokes a token: the next request that presents it is refused. Revoking a revoked token changes
   * nothing.
   *
   * @throws TokenNotFound when there is no such token
   * @throws LastAdminToken when it is the last live admin token (nobody could create tokens any
   *     more)
   */
  @Transactional
  public void revoke(UUID id) {
    TokenStore.TokenRow row = store.find(id).orElseThrow(() -> new TokenNotFound(id));
    if (row.revokedAt() != null) {
      return;
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    if (row.scopes().contains(Scope.ADMIN) && row.liveAt(now)) {
      List<UUID> admins = store.lockLiveAdmins(now);
      if (admins.stream().noneMatch(other -> !other.equals(id))) {
        throw new LastAdminToken(
            "token "
                + Texts.quote(row.name())
                + " is the last admin token that is neither revoked nor expired; create another"
                + " admin token first, or nobody could manage tokens any more");
      }
    }
    if (store.revoke(id, now)) {
      audit.record(
          "token.revoke",
          "token",
          id.toString(),
          "token " + Texts.quote(row.name()) + " (" + TokenSecrets.display(row.prefix()) + ")");
    }
  }

  /**
   * The first admin token, created when no token exists yet; nothing when one does (another replica
   * may have created it a moment ago). Used at start-up.
   *
   * @param token the token's text, already checked against {@link TokenSecrets#SHAPE}
   * @param beforeCommit runs after the row is written and before it commits (writes the token's
   *     file); a failure rolls the row back
   * @return the created token's row, or empty when tokens existed
   */
  Optional<TokenStore.TokenRow> bootstrap(String token, Runnable beforeCommit) {
    TokenStore.TokenRow row =
        new TokenStore.TokenRow(
            UUID.randomUUID(),
            "bootstrap-admin",
            TokenSecrets.prefixOf(token),
            TokenSecrets.hash(token),
            EnumSet.of(Scope.ADMIN),
            Instant.now().truncatedTo(ChronoUnit.MICROS),
            Callers.SYSTEM,
            null,
            null,
            true);
    try {
      return tx.execute(
          status -> {
            if (store.anyExists()) {
              return Optional.<TokenStore.TokenRow>empty();
            }
            // The unique index on bootstrap rows makes a replica racing us wait here and then fail.
            store.insert(row);
            audit.record(
                "token.create",
                "token",
                row.id().toString(),
                "the first admin token ("
                    + TokenSecrets.display(row.prefix())
                    + "), created at start-up");
            beforeCommit.run();
            return Optional.of(row);
          });
    } catch (DuplicateKeyException raced) {
      return Optional.empty();
    }
  }

  private static String checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidInput("name", "is required: what the token is for, e.g. \"ci-uploader\"");
    }
    if (name.length() > MAX_NAME) {
      throw new InvalidInput(
          "name", "must be at most " + MAX_NAME + " characters, was " + name.length());
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw new InvalidInput("name", "must not hold control characters");
      }
    }
    if (name.equals(Callers.SYSTEM) || name.equals(Callers.ANONYMOUS)) {
      throw new InvalidInput(
          "name", "must not be " + Texts.quote(name) + ", which the audit log uses for itself");
    }
    return name;
  }

  private static Set<Scope> checkScopes(List<String> scopes) {
    if (scopes == null || scopes.isEmpty()) {
      throw new InvalidInput("scopes", "must name at least one of read, write, admin");
    }
    Set<Scope> out = EnumSet.noneOf(Scope.class);
    for (int i = 0; i < scopes.size(); i++) {
      String s = scopes.get(i);
      try {
        out.add(Scope.fromWireName(s));
      } catch (IllegalArgumentException e) {
        throw new InvalidInput(
            "scopes[" + i + "]", "must be read, write or admin, was " + Texts.quote(s));
      }
    }
    return out;
  }
}
