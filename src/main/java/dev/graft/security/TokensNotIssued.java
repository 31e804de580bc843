package dev.graft.security;

import dev.graft.shared.StateConflict;

/** Graft is not in token mode (OIDC or none), so it neither issues nor accepts its own tokens. */
public class TokensNotIssued extends StateConflict {

  public TokensNotIssued(String message) {
    super(message);
  }
}
