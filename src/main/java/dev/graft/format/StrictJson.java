package dev.graft.format;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) parser for headers taken from untrusted files.
 *
 * <p>It works on the raw UTF-8 bytes so that every error names the byte offset where it was found,
 * and it is stricter than most parsers: duplicate object keys, invalid UTF-8 (overlong forms,
 * surrogates, code points past U+10FFFF), unpaired {@code \\u} surrogate escapes, control
 * characters in strings, leading zeros, number literals longer than {@value #MAX_NUMBER_CHARS}
 * characters, nesting deeper than the given limit and anything but whitespace after the value are
 * all refused.
 *
 * <p>Values come back as {@link LinkedHashMap} (objects, in file order), {@link ArrayList}, {@link
 * String}, {@link Long} (integers that fit), {@link BigInteger} (larger integers), {@link
 * BigDecimal} (numbers with a fraction or exponent), {@link Boolean} and {@code null}.
 */
final class StrictJson {

  /** Longest number literal accepted; longer ones would only serve to make parsing slow. */
  static final int MAX_NUMBER_CHARS = 400;

  private final byte[] bytes;
  private final int end;
  private final int maxDepth;
  private final String what;
  private final long reportBase;
  private int pos;

  private StrictJson(byte[] bytes, int start, int end, int maxDepth, String what, long reportBase) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.maxDepth = maxDepth;
    this.what = what;
    this.reportBase = reportBase - start;
  }

  /**
   * Parses one JSON value that must fill {@code bytes[start, end)}, allowing whitespace around it.
   *
   * @param bytes the UTF-8 text
   * @param start first byte of the text
   * @param end one past the last byte of the text
   * @param maxDepth the deepest nesting of objects and arrays accepted (the top level is depth 1)
   * @param what names the text in messages, e.g. {@code "safetensors header"}
   * @param reportBase the file offset of {@code bytes[start]}, so that messages give file offsets
   * @return the value, as described in the class comment
   * @throws FormatException MALFORMED with the byte offset of the first error, or LIMIT_EXCEEDED
   *     when the nesting is deeper than {@code maxDepth}
   */
  static Object parse(byte[] bytes, int start, int end, int maxDepth, String what, long reportBase)
      throws FormatException {
    StrictJson p = new StrictJson(bytes, start, end, maxDepth, what, reportBase);
    p.skipWhitespace();
    Object value = p.value(1);
    p.skipWhitespace();
    if (p.pos != p.end) {
      throw p.error("unexpected " + p.describe() + " after the end of the JSON value");
    }
    return value;
  }

  /**
   * Parses a whole byte array as one JSON value; convenient for trusted test data.
   *
   * @param bytes the UTF-8 text
   * @return the value, as described in the class comment
   * @throws FormatException when the text is not valid JSON or nests deeper than 1,000 levels
   */
  static Object parse(byte[] bytes) throws FormatException {
    return parse(bytes, 0, bytes.length, 1000, "JSON", 0);
  }

  private Object value(int depth) throws FormatException {
    if (pos >= end) {
      throw error("unexpected end of input, expected a value");
    }
    byte b = bytes[pos];
    switch (b) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return null;
      default:
        if (b == '-' || (b >= '0' && b <= '9')) {
          return number();
        }
        throw error("unexpected " + describe() + ", expected a value");
    }
  }

  private Map<String, Object> object(int depth) throws FormatException {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("unexpected " + describe() + ", expected a string as object key");
      }
      int keyAt = pos;
      String key = string();
      if (map.containsKey(key)) {
        throw error(keyAt, "duplicate object key " + FormatException.quote(key));
      }
      skipWhitespace();
      expect(':', "':' after object key");
      skipWhitespace();
      map.put(key, value(depth + 1));
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() == '}') {
        pos++;
        return map;
      } else {
        throw error("unexpected " + describe() + ", expected ',' or '}' in object");
      }
    }
  }

  private List<Object> array(int depth) throws FormatException {
    checkDepth(depth);
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth + 1));
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() == ']') {
        pos++;
        return list;
      } else {
        throw error("unexpected " + describe() + ", expected ',' or ']' in array");
      }
    }
  }

  private void checkDepth(int depth) throws FormatException {
    if (depth > maxDepth) {
      throw new FormatException(
          FormatException.Kind.LIMIT_EXCEEDED,
          what
              + ": JSON nesting deeper than "
              + maxDepth
              + " levels at byte "
              + (reportBase + pos));
    }
  }

  private String string() throws FormatException {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= end) {
        throw error("unterminated string");
      }
      int b = bytes[pos] & 0xff;
      if (b == '"') {
        pos++;
        return sb.toString();
      } else if (b == '\\') {
        escape(sb);
      } else if (b < 0x20) {
        throw error(String.format("control character 0x%02x in string", b));
      } else if (b < 0x80) {
        sb.append((char) b);
        pos++;
      } else {
        sb.appendCodePoint(utf8());
      }
    }
  }

  private void escape(StringBuilder sb) throws FormatException {
    int at = pos;
    pos++; // backslash
    if (pos >= end) {
      throw error("unterminated string");
    }
    byte e = bytes[pos++];
    switch (e) {
      case '"' -> sb.append('"');
      case '\\' -> sb.append('\\');
      case '/' -> sb.append('/');
      case 'b' -> sb.append('\b');
      case 'f' -> sb.append('\f');
      case 'n' -> sb.append('\n');
      case 'r' -> sb.append('\r');
      case 't' -> sb.append('\t');
      case 'u' -> {
        char c = hex4();
        if (Character.isHighSurrogate(c)) {
          if (pos + 1 < end && bytes[pos] == '\\' && bytes[pos + 1] == 'u') {
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw error(at, "unpaired surrogate escape in string");
            }
            sb.append(c).append(low);
          } else {
            throw error(at, "unpaired surrogate escape in string");
          }
        } else if (Character.isLowSurrogate(c)) {
          throw error(at, "unpaired surrogate escape in string");
        } else {
          sb.append(c);
        }
      }
      default -> throw error(at, "invalid escape sequence in string");
    }
  }

  private char hex4() throws FormatException {
    if (pos + 4 > end) {
      throw error("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(bytes[pos + i], 16);
      if (d < 0) {
        throw error(pos + i, "invalid hex digit in \\u escape");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  /**
   * Decodes one multi-byte UTF-8 sequence at {@code pos}, refusing every non-shortest or invalid
   * form.
   */
  private int utf8() throws FormatException {
    int at = pos;
    int b0 = bytes[pos] & 0xff;
    int n;
    int cp;
    int min;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      n = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      n = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      n = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      throw error(at, "invalid UTF-8");
    }
    if (pos + n >= end) {
      throw error(at, "invalid UTF-8 (truncated sequence)");
    }
    for (int i = 1; i <= n; i++) {
      int c = bytes[pos + i] & 0xff;
      if ((c & 0xc0) != 0x80) {
        throw error(at, "invalid UTF-8");
      }
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw error(at, "invalid UTF-8");
    }
    pos += n + 1;
    return cp;
  }

  private Object number() throws FormatException {
    int start = pos;
    boolean integer = true;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw error("leading zero in number");
      }
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw error("unexpected " + describe() + ", expected a digit");
    }
    if (peek() == '.') {
      integer = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("unexpected " + describe() + ", expected a digit after '.'");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("unexpected " + describe() + ", expected a digit in exponent");
      }
      digits();
    }
    if (pos - start > MAX_NUMBER_CHARS) {
      throw error(start, "number literal longer than " + MAX_NUMBER_CHARS + " characters");
    }
    String text = new String(bytes, start, pos - start, java.nio.charset.StandardCharsets.US_ASCII);
    if (!integer) {
      return new BigDecimal(text);
    }
    BigInteger big = new BigInteger(text);
    return big.bitLength() < 64 ? (Object) big.longValue() : big;
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private static boolean isDigit(int b) {
    return b >= '0' && b <= '9';
  }

  private void literal(String word) throws FormatException {
    for (int i = 0; i < word.length(); i++) {
      if (pos + i >= end || bytes[pos + i] != word.charAt(i)) {
        throw error("invalid literal, expected '" + word + "'");
      }
    }
    pos += word.length();
  }

  private void expect(char c, String expected) throws FormatException {
    if (peek() != c) {
      throw error("unexpected " + describe() + ", expected " + expected);
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < end) {
      byte b = bytes[pos];
      if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
        pos++;
      } else {
        return;
      }
    }
  }

  /** The byte at {@code pos}, or -1 at the end. */
  private int peek() {
    return pos < end ? bytes[pos] & 0xff : -1;
  }

  private String describe() {
    if (pos >= end) {
      return "end of input";
    }
    int b = bytes[pos] & 0xff;
    if (b >= 0x21 && b < 0x7f && b != '\'') {
      return "'" + (char) b + "'";
    }
    return String.format("byte 0x%02x", b);
  }

  private FormatException error(String reason) {
    return error(pos, reason);
  }

  private FormatException error(int at, String reason) {
    return FormatException.malformed(
        what + ": invalid JSON at byte " + (reportBase + at) + ": " + reason);
  }
}
