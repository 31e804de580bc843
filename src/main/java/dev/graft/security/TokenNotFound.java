package dev.graft.security;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No token has this id. */
public class TokenNotFound extends NotFound {

  public TokenNotFound(UUID id) {
    super("token " + id + " does not exist");
  }
}
