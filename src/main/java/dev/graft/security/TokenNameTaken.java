package dev.graft.security;

import dev.graft.shared.StateConflict;

/** A live token already has the name asked for; tokens are told apart by name in the audit log. */
public class TokenNameTaken extends StateConflict {

  public TokenNameTaken(String message) {
    super(message);
  }
}
