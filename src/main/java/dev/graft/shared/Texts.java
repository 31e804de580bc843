package dev.graft.shared;

/** Text a client sent, made safe to repeat in a message. */
public final class Texts {

  private Texts() {}

  /**
   * Quotes client text for a message: printable ASCII kept, everything else escaped as {@code
   * \\uXXXX}, cut at 200 characters, so no input can inflate or garble an answer or a log line.
   */
  public static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("'");
    int n = Math.min(s.length(), 200);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    if (s.length() > n) {
      b.append("...");
    }
    return b.append('\'').toString();
  }
}
