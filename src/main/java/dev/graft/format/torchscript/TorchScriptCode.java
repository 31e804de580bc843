package dev.graft.format.torchscript;

import dev.graft.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the class declarations of a TorchScript {@code code/} record as text: class headers and the
 * {@code __parameters__}/{@code __buffers__} string-list literals of module classes. The code is
 * never evaluated; anything but the exact literal shape torch prints is refused.
 */
final class TorchScriptCode {

  /**
   * One class of a code record.
   *
   * @param name the class's simple name
   * @param module whether it derives from {@code Module}
   * @param parameters the names in {@code __parameters__}, in order; empty unless a module
   * @param buffers the names in {@code __buffers__}, in order; empty unless a module
   */
  record ClassDecl(String name, boolean module, List<String> parameters, List<String> buffers) {}

  private static final Pattern HEADER =
      Pattern.compile("class ([A-Za-z_][A-Za-z0-9_]*)(?:\\(([A-Za-z0-9_., ]*)\\))?:\\s*");
  // Class attributes sit at exactly two spaces; method bodies are indented further.
  private static final Pattern LIST_ATTRIBUTE =
      Pattern.compile("  (__parameters__|__buffers__) = (.*)");

  private TorchScriptCode() {}

  /**
   * Parses a code record's classes.
   *
   * @param record the record name, for messages
   * @param content the record's bytes
   * @param maxNameLength the longest parameter or buffer name accepted
   * @return class simple name to its declaration, in file order
   * @throws FormatException MALFORMED for text that is not UTF-8, an unreadable class header, a
   *     module class without both lists, or a list that is not a plain string-literal list
   */
  static Map<String, ClassDecl> parse(String record, byte[] content, int maxNameLength)
      throws FormatException {
    String text = utf8(record, content);
    Map<String, ClassDecl> classes = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    Builder current = null;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      String where = FormatException.quote(record) + " line " + (i + 1);
      if (line.startsWith("class ")) {
        finish(current, classes, record);
        Matcher m = HEADER.matcher(line);
        if (!m.matches()) {
          throw FormatException.malformed("unreadable class header at " + where);
        }
        String bases = m.group(2) == null ? "" : m.group(2).trim();
        current = new Builder(m.group(1), bases.equals("Module"));
        if (classes.containsKey(current.name)) {
          throw FormatException.malformed(
              "class " + FormatException.quote(current.name) + " is defined twice at " + where);
        }
      } else if (!line.isEmpty() && !line.startsWith(" ")) {
        // Any other top-level statement ends the class body.
        finish(current, classes, record);
        current = null;
      } else if (current != null) {
        Matcher m = LIST_ATTRIBUTE.matcher(line);
        if (m.matches()) {
          List<String> names = parseList(m.group(2), m.group(1) + " at " + where, maxNameLength);
          if (m.group(1).equals("__parameters__")) {
            if (current.parameters != null) {
              throw FormatException.malformed("second __parameters__ at " + where);
            }
            current.parameters = names;
          } else {
            if (current.buffers != null) {
              throw FormatException.malformed("second __buffers__ at " + where);
            }
            current.buffers = names;
          }
        }
      }
    }
    finish(current, classes, record);
    return classes;
  }

  private static final class Builder {
    final String name;
    final boolean module;
    List<String> parameters;
    List<String> buffers;

    Builder(String name, boolean module) {
      this.name = name;
      this.module = module;
    }
  }

  private static void finish(Builder b, Map<String, ClassDecl> classes, String record)
      throws FormatException {
    if (b == null) {
      return;
    }
    if (b.module && (b.parameters == null || b.buffers == null)) {
      throw FormatException.malformed(
          "module class "
              + FormatException.quote(b.name)
              + " in "
              + FormatException.quote(record)
              + " does not list its "
              + (b.parameters == null ? "__parameters__" : "__buffers__"));
    }
    classes.put(
        b.name,
        new ClassDecl(
            b.name,
            b.module,
            b.parameters == null ? List.of() : b.parameters,
            b.buffers == null ? List.of() : b.buffers));
  }

  /**
   * Parses {@code ["a", "b", ]} (trailing comma optional): double-quoted names without escapes,
   * each non-empty, without dots, and distinct.
   */
  static List<String> parseList(String literal, String where, int maxNameLength)
      throws FormatException {
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int i = skipSpaces(literal, 0);
    if (i >= literal.length() || literal.charAt(i) != '[') {
      throw notAList(where);
    }
    i = skipSpaces(literal, i + 1);
    while (true) {
      if (i < literal.length() && literal.charAt(i) == ']') {
        i++;
        break;
      }
      if (i >= literal.length() || literal.charAt(i) != '"') {
        throw notAList(where);
      }
      int end = i + 1;
      while (end < literal.length() && literal.charAt(end) != '"') {
        char c = literal.charAt(end);
        if (c == '\\' || c < 0x20) {
          throw FormatException.malformed(
              where + " holds a name with an escape or control character");
        }
        end++;
      }
      if (end >= literal.length()) {
        throw notAList(where);
      }
      String name = literal.substring(i + 1, end);
      if (name.isEmpty() || name.indexOf('.') >= 0 || name.length() > maxNameLength) {
        throw FormatException.malformed(
            where + " holds the name " + FormatException.quote(name) + ", which cannot be a key");
      }
      if (!seen.add(name)) {
        throw FormatException.malformed(where + " lists " + FormatException.quote(name) + " twice");
      }
      out.add(name);
      i = skipSpaces(literal, end + 1);
      if (i < literal.length() && literal.charAt(i) == ',') {
        i = skipSpaces(literal, i + 1);
      } else if (i >= literal.length() || literal.charAt(i) != ']') {
        throw notAList(where);
      }
    }
    if (skipSpaces(literal, i) != literal.length()) {
      throw notAList(where);
    }
    return List.copyOf(out);
  }

  private static FormatException notAList(String where) {
    return FormatException.malformed(where + " is not a list of string literals");
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
    return i;
  }

  private static String utf8(String record, byte[] content) throws FormatException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(content))
          .toString();
    } catch (CharacterCodingException e) {
      throw FormatException.malformed(
          "code record " + FormatException.quote(record) + " is not valid UTF-8");
    }
  }
}
