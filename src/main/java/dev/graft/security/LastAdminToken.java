package dev.graft.security;

import dev.graft.shared.StateConflict;

/** Revoking this token would leave no live admin token, so nobody could manage tokens any more. */
public class LastAdminToken extends StateConflict {

  public LastAdminToken(String message) {
    super(message);
  }
}
