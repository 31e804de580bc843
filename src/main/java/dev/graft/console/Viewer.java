package dev.graft.console;

import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;

/**
 * Who is looking at a page and what the page may offer them: the scopes decide which buttons are
 * shown (the security chain decides what is allowed; this only avoids offering what would be
 * refused).
 *
 * @param name the token's name, or {@code null} when nobody is signed in
 * @param scopes the scopes held, each including those below it
 * @param open whether Graft runs with {@code graft.security.mode=none} (everything allowed)
 */
public record Viewer(String name, Set<String> scopes, boolean open) {

  static Viewer of(Authentication auth, boolean open) {
    if (open) {
      return new Viewer(null, Set.of("read", "write", "admin"), true);
    }
    if (auth == null || auth instanceof AnonymousAuthenticationToken || !auth.isAuthenticated()) {
      return new Viewer(null, Set.of(), false);
    }
    return new Viewer(
        auth.getName(),
        auth.getAuthorities().stream()
            .map(GrantedAuthority::getAuthority)
            .collect(Collectors.toUnmodifiableSet()),
        false);
  }

  public boolean signedIn() {
    return name != null;
  }

  /** The scopes in their order, for display: read, write, admin. */
  public java.util.List<String> scopeList() {
    return java.util.stream.Stream.of("read", "write", "admin").filter(scopes::contains).toList();
  }

  public boolean canWrite() {
    return scopes.contains("write");
  }

  public boolean canAdmin() {
    return scopes.contains("admin");
  }
}
