package dev.graft.security;

/** What the console's security chain leaves in a person's session for the console's pages. */
public final class ConsoleSession {

  /**
   * Why a sign-in was refused or a session ended, for the sign-in page to say once. It travels in
   * the session rather than in the address, so a link cannot put words on the sign-in page.
   */
  public static final String SIGN_IN_MESSAGE = "graft.console.signInMessage";

  private ConsoleSession() {}
}
