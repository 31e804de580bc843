package dev.graft.console;

import org.springframework.http.ProblemDetail;

/** What a problem's status means for the person who met it, in a sentence. */
final class Explanations {

  private Explanations() {}

  static String of(ProblemDetail p) {
    return switch (p.getStatus()) {
      case 400 -> "Something in the form is not valid; the detail names the field.";
      case 401 -> "You are not signed in, or your token is no longer valid.";
      case 403 -> "Your token's scopes do not allow this.";
      case 404 -> "It does not exist (any more): it may have been deleted meanwhile.";
      case 408 -> "The upload stopped arriving and was cut off.";
      case 409 ->
          "It cannot be done in the current state: something still uses it or points at it."
              + " Remove what the detail names first, then try again.";
      case 412 ->
          "Someone changed it after this page was opened, so nothing was saved over their change."
              + " Look at it as it is now, then make your change again.";
      case 413 -> "It is larger than Graft accepts.";
      case 422 -> "Graft understood the request but refused what it holds.";
      case 429 -> "Too many requests at once; wait a moment and try again.";
      default -> "Graft failed to handle the request; the failure is logged on the server.";
    };
  }
}
