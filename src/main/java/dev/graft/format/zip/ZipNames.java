package dev.graft.format.zip;

import dev.graft.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Decodes and vets zip record names so that no name can point outside the archive's root. */
final class ZipNames {

  private ZipNames() {}

  /**
   * Decodes a record name strictly as UTF-8.
   *
   * @throws FormatException when the bytes are not valid UTF-8
   */
  static String decode(byte[] raw, long offset) throws FormatException {
    boolean ascii = true;
    for (byte b : raw) {
      ascii &= b >= 0;
    }
    if (ascii) {
      return new String(raw, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      throw FormatException.malformed(
          "zip entry name is not valid UTF-8 (at byte offset " + offset + ")");
    }
  }

  /**
   * Refuses names that could escape a directory or mean different things to different readers.
   *
   * @throws FormatException UNSAFE naming the entry and its central directory offset
   */
  static void check(String name, long offset) throws FormatException {
    String why = null;
    if (name.isEmpty()) {
      why = "is empty";
    } else if (name.indexOf('\0') >= 0) {
      why = "contains a NUL";
    } else if (name.indexOf('\\') >= 0) {
      why = "contains a backslash";
    } else if (name.startsWith("/") || (name.length() > 1 && name.charAt(1) == ':')) {
      why = "is absolute";
    } else if (name.endsWith("/")) {
      why = "is a directory entry";
    } else {
      int from = 0;
      while (from <= name.length()) {
        int to = name.indexOf('/', from);
        if (to < 0) {
          to = name.length();
        }
        int n = to - from;
        boolean dots =
            (n == 1 && name.charAt(from) == '.') || (n == 2 && name.startsWith("..", from));
        if (n == 0 || dots) {
          why = "has a '" + name.substring(from, to) + "' path segment";
          break;
        }
        from = to + 1;
      }
    }
    if (why != null) {
      throw FormatException.unsafe(
          "zip entry "
              + FormatException.quote(name)
              + " "
              + why
              + " (at byte offset "
              + offset
              + ")");
    }
  }
}
