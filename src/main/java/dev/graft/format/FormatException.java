package dev.graft.format;

import java.io.IOException;

/**
 * A file was refused: it is malformed, unsafe, over a limit or of a kind Graft does not take. The
 * message names the structure and, where known, the key, entry or byte offset that is wrong; names
 * taken from the file are sanitized before they appear in it.
 */
public class FormatException extends IOException {

  /** Why the file was refused. */
  public enum Kind {
    /** The bytes do not follow the format. */
    MALFORMED,
    /** The file asks for something never allowed, such as a global outside the allow-list. */
    UNSAFE,
    /** A declared size exceeds a configured limit. */
    LIMIT_EXCEEDED,
    /** A recognised file of a kind Graft does not take here (legacy torch format, TorchScript). */
    UNSUPPORTED
  }

  private final Kind kind;

  public FormatException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public FormatException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static FormatException malformed(String message) {
    return new FormatException(Kind.MALFORMED, message);
  }

  public static FormatException unsafe(String message) {
    return new FormatException(Kind.UNSAFE, message);
  }

  public static FormatException limit(String message) {
    return new FormatException(Kind.LIMIT_EXCEEDED, message);
  }

  public static FormatException unsupported(String message) {
    return new FormatException(Kind.UNSUPPORTED, message);
  }

  /**
   * Renders a name taken from a file safely for a message: printable ASCII, quoted, cut at 200
   * chars.
   */
  public static String quote(String name) {
    StringBuilder b = new StringBuilder("'");
    int n = Math.min(name.length(), 200);
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    if (name.length() > n) {
      b.append("...");
    }
    return b.append('\'').toString();
  }
}
