package dev.graft.format;

import java.io.IOException;

/**
 * A file was refused: it is malformed, unsafe, over a limit or of a kind Graft does not take. The
 * message names the structure and, where known, the key, entry or byte offset that is wrong; names
 * taken from the file are sanitized before they appear in it, and the whole message is cut to
 * {@value #MAX_MESSAGE_CHARS} characters (keeping its start and its end, where offsets are) so that
 * no file can make an error detail large.
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

  /** The longest message kept; longer ones lose their middle. */
  public static final int MAX_MESSAGE_CHARS = 1000;

  private static final int KEEP_END = 300;

  private final Kind kind;

  /**
   * A refusal.
   *
   * @param kind why the file was refused
   * @param message what and where; cut to {@value #MAX_MESSAGE_CHARS} characters
   */
  public FormatException(Kind kind, String message) {
    super(cap(message));
    this.kind = kind;
  }

  /**
   * A refusal with its cause.
   *
   * @param kind why the file was refused
   * @param message what and where; cut to {@value #MAX_MESSAGE_CHARS} characters
   * @param cause what was thrown underneath
   */
  public FormatException(Kind kind, String message, Throwable cause) {
    super(cap(message), cause);
    this.kind = kind;
  }

  /** Cuts the middle out of a long message, keeping its start and its end. */
  static String cap(String message) {
    if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
      return message;
    }
    String marker = " [...] ";
    int head = MAX_MESSAGE_CHARS - KEEP_END - marker.length();
    int tail = message.length() - KEEP_END;
    // Never split a surrogate pair.
    if (Character.isHighSurrogate(message.charAt(head - 1))) {
      head--;
    }
    if (Character.isLowSurrogate(message.charAt(tail))) {
      tail++;
    }
    return message.substring(0, head) + marker + message.substring(tail);
  }

  /** Why the file was refused. */
  public Kind kind() {
    return kind;
  }

  /** A refusal of bytes that do not follow the format. */
  public static FormatException malformed(String message) {
    return new FormatException(Kind.MALFORMED, message);
  }

  /** A refusal of a file that asks for something never allowed. */
  public static FormatException unsafe(String message) {
    return new FormatException(Kind.UNSAFE, message);
  }

  /** A refusal of a declared size or count over a configured limit. */
  public static FormatException limit(String message) {
    return new FormatException(Kind.LIMIT_EXCEEDED, message);
  }

  /** A refusal of a recognised file of a kind Graft does not take here. */
  public static FormatException unsupported(String message) {
    return new FormatException(Kind.UNSUPPORTED, message);
  }

  /**
   * Renders a name taken from a file safely for a message: printable ASCII, quoted, at most 200
   * characters between the quotes (escapes included), then {@code ...} when cut.
   */
  public static String quote(String name) {
    StringBuilder b = new StringBuilder("'");
    int i = 0;
    for (; i < name.length() && b.length() <= 200; i++) {
      char c = name.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    if (i < name.length()) {
      b.append("...");
    }
    return b.append('\'').toString();
  }
}
