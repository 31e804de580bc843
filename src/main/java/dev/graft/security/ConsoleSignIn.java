package dev.graft.security;

/**
 * How a person signs in to the console, for its sign-in page.
 *
 * @param mode {@code token}, {@code oidc} or {@code none}, as {@code graft.security.mode}
 * @param providerPath in {@code oidc} mode, where signing in through the provider starts; {@code
 *     null} when no client registration is configured (then nobody can sign in)
 */
public record ConsoleSignIn(String mode, String providerPath) {

  /** The Spring Boot client registration id the console signs in with. */
  public static final String REGISTRATION = "graft";

  /** Whether people sign in through the OIDC provider. */
  public boolean throughProvider() {
    return providerPath != null;
  }
}
