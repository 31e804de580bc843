package dev.graft.format.safetensors;

import dev.graft.format.FormatException;
import dev.graft.format.internal.ParseBudget;
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
 * BigDecimal} (numbers with a fraction or exponent), {@link Double} {@code -0.0} (the literal
 * {@code -0}, which is not a canonical integer), {@link Boolean} and {@code null}.
 *
 * <p>Besides {@link #parse}, which builds a whole tree for trusted or small text, a reader can pull
 * an object member by member ({@link #object}, {@link Members#next}) and read each value with a cap
 * on its JSON values and on the characters a string may materialize ({@link #value(int, int,
 * long)}); a longer string is still checked, in linear time, but comes back as {@link Oversized}.
 * So a reader keeps only what it needs of a header of any size, and time stays linear in its
 * length.
 */
public final class StrictJson {

  /** Longest number literal accepted; longer ones would only serve to make parsing slow. */
  static final int MAX_NUMBER_CHARS = 400;

  /**
   * A string longer than the caller let materialize: checked like any other, only its length kept.
   *
   * @param chars its length in UTF-16 characters
   */
  record Oversized(long chars) {}

  private final byte[] bytes;
  private final int end;
  private final int maxDepth;
  private final String what;
  private final long reportBase;
  private final ParseBudget budget;
  private int pos;
  private int maxStringChars = Integer.MAX_VALUE;
  private long valuesLeft = Long.MAX_VALUE;
  private boolean checkOnly;

  private StrictJson(
      byte[] bytes,
      int start,
      int end,
      int maxDepth,
      String what,
      long reportBase,
      ParseBudget budget) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.maxDepth = maxDepth;
    this.what = what;
    this.reportBase = reportBase - start;
    this.budget = budget;
  }

  /**
   * A reader that pulls values from {@code bytes[start, end)} one by one; see {@link #object} and
   * {@link #value(int, int, long)}, and call {@link #end} after the last value.
   *
   * @param budget charged one unit per value and per 64 bytes of string
   */
  static StrictJson reader(
      byte[] bytes,
      int start,
      int end,
      int maxDepth,
      String what,
      long reportBase,
      ParseBudget budget) {
    StrictJson p = new StrictJson(bytes, start, end, maxDepth, what, reportBase, budget);
    p.skipWhitespace();
    return p;
  }

  /**
   * Checks that {@code bytes[start, end)} is one valid JSON value nested at most {@code maxDepth}
   * deep, keeping nothing: no string, number or container is built, and duplicate keys are left to
   * the reader that follows. Linear in the length, constant in memory besides the call stack.
   *
   * @throws FormatException MALFORMED with the byte offset of the first error, LIMIT_EXCEEDED when
   *     the nesting is deeper than {@code maxDepth} or the parse budget is spent
   */
  static void check(
      byte[] bytes,
      int start,
      int end,
      int maxDepth,
      String what,
      long reportBase,
      ParseBudget budget)
      throws FormatException {
    StrictJson p = new StrictJson(bytes, start, end, maxDepth, what, reportBase, budget);
    p.checkOnly = true;
    p.skipWhitespace();
    p.value(1);
    p.end();
  }

  /**
   * Reads one value with caps.
   *
   * @param depth the value's nesting depth (the top level is 1)
   * @param maxStringChars strings (not object keys) longer than this come back as {@link
   *     Oversized}; keys longer than this are refused
   * @param maxValues the most JSON values the value may hold, itself included
   * @throws FormatException MALFORMED for invalid JSON, LIMIT_EXCEEDED past a cap, the depth or the
   *     parse budget
   */
  Object value(int depth, int maxStringChars, long maxValues) throws FormatException {
    this.maxStringChars = maxStringChars;
    this.valuesLeft = maxValues;
    try {
      Object v = value(depth);
      skipWhitespace();
      return v;
    } finally {
      this.maxStringChars = Integer.MAX_VALUE;
      this.valuesLeft = Long.MAX_VALUE;
    }
  }

  /** The next byte (after whitespace) as a char, or -1 at the end, without consuming it. */
  int peekByte() {
    return peek();
  }

  /** Consumes a {@code null} literal if one comes next. */
  boolean nullNext() throws FormatException {
    if (peek() == 'n') {
      literal("null");
      skipWhitespace();
      return true;
    }
    return false;
  }

  /**
   * Opens an object, whose members the caller then pulls with {@link Members#next}.
   *
   * @param depth the object's nesting depth
   * @throws FormatException when no object starts here or it nests too deep
   */
  Members object(int depth) throws FormatException {
    checkDepth(depth);
    if (peek() != '{') {
      throw error("unexpected " + describe() + ", expected '{'");
    }
    pos++;
    return new Members(depth);
  }

  /** Checks that only whitespace follows the last value. */
  void end() throws FormatException {
    skipWhitespace();
    if (pos != end) {
      throw error("unexpected " + describe() + " after the end of the JSON value");
    }
  }

  /** The members of an open object, pulled one at a time. */
  final class Members {
    private final int depth;
    private boolean first = true;
    private boolean done;
    private int keyAt;

    private Members(int depth) {
      this.depth = depth;
    }

    /**
     * Reads the next member's key and its colon; the caller must then read the value.
     *
     * @param maxKeyChars keys longer than this come back as {@link Oversized}
     * @return the key, an {@link Oversized}, or {@code null} after the last member
     */
    Object next(int maxKeyChars) throws FormatException {
      if (done) {
        return null;
      }
      skipWhitespace();
      if (first) {
        first = false;
        if (peek() == '}') {
          pos++;
          done = true;
          return null;
        }
      } else if (peek() == ',') {
        pos++;
        skipWhitespace();
      } else if (peek() == '}') {
        pos++;
        done = true;
        return null;
      } else {
        throw error("unexpected " + describe() + ", expected ',' or '}' in object");
      }
      if (peek() != '"') {
        throw error("unexpected " + describe() + ", expected a string as object key");
      }
      keyAt = pos;
      Object key = string(maxKeyChars);
      skipWhitespace();
      expect(':', "':' after object key");
      skipWhitespace();
      return key;
    }

    /** The depth of this object's values. */
    int valueDepth() {
      return depth + 1;
    }

    /** A MALFORMED refusal at the last key read, e.g. for a duplicate. */
    FormatException errorAtKey(String reason) {
      return error(keyAt, reason);
    }
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
  public static Object parse(
      byte[] bytes, int start, int end, int maxDepth, String what, long reportBase)
      throws FormatException {
    StrictJson p = new StrictJson(bytes, start, end, maxDepth, what, reportBase, null);
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
    if (--valuesLeft < 0) {
      throw new FormatException(
          FormatException.Kind.LIMIT_EXCEEDED,
          what + ": too many JSON values in one entry at byte " + (reportBase + pos));
    }
    if (budget != null) {
      budget.charge();
    }
    byte b = bytes[pos];
    switch (b) {
      case '{':
        return objectValue(depth);
      case '[':
        return array(depth);
      case '"':
        return string(maxStringChars);
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

  private Map<String, Object> objectValue(int depth) throws FormatException {
    Members members = object(depth);
    Map<String, Object> map = new LinkedHashMap<>();
    Object k;
    while ((k = members.next(maxStringChars)) != null) {
      if (checkOnly) {
        value(depth + 1);
        skipWhitespace();
        continue;
      }
      if (!(k instanceof String key)) {
        throw new FormatException(
            FormatException.Kind.LIMIT_EXCEEDED,
            what
                + ": object key of "
                + ((Oversized) k).chars()
                + " characters is longer than the limit of "
                + maxStringChars
                + " at byte "
                + (reportBase + members.keyAt));
      }
      if (map.containsKey(key)) {
        throw members.errorAtKey("duplicate object key " + FormatException.quote(key));
      }
      map.put(key, value(depth + 1));
      skipWhitespace();
    }
    return map;
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
      Object item = value(depth + 1);
      if (!checkOnly) {
        list.add(item);
      }
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

  /**
   * Reads a string; past {@code maxChars} characters it stops keeping them but goes on checking,
   * and returns an {@link Oversized}.
   */
  private Object string(int maxChars) throws FormatException {
    int start = pos;
    pos++; // opening quote
    StringBuilder sb = checkOnly ? null : new StringBuilder();
    long chars = 0;
    while (true) {
      if (pos >= end) {
        throw error("unterminated string");
      }
      int b = bytes[pos] & 0xff;
      if (b == '"') {
        pos++;
        if (budget != null) {
          budget.charge((pos - start) / 64);
        }
        return sb == null ? new Oversized(chars) : sb.toString();
      } else if (b == '\\') {
        chars += escape(sb);
      } else if (b < 0x20) {
        throw error(String.format("control character 0x%02x in string", b));
      } else if (b < 0x80) {
        if (sb != null) {
          sb.append((char) b);
        }
        chars++;
        pos++;
      } else {
        int cp = utf8();
        if (sb != null) {
          sb.appendCodePoint(cp);
        }
        chars += Character.charCount(cp);
      }
      if (sb != null && chars > maxChars) {
        sb = null; // keep checking, stop keeping
      }
    }
  }

  /** Reads one escape, appending it to {@code sb} unless null; returns the chars it stands for. */
  private int escape(StringBuilder sb) throws FormatException {
    int at = pos;
    pos++; // backslash
    if (pos >= end) {
      throw error("unterminated string");
    }
    byte e = bytes[pos++];
    char c;
    switch (e) {
      case '"' -> c = '"';
      case '\\' -> c = '\\';
      case '/' -> c = '/';
      case 'b' -> c = '\b';
      case 'f' -> c = '\f';
      case 'n' -> c = '\n';
      case 'r' -> c = '\r';
      case 't' -> c = '\t';
      case 'u' -> {
        c = hex4();
        if (Character.isHighSurrogate(c)) {
          if (pos + 1 < end && bytes[pos] == '\\' && bytes[pos + 1] == 'u') {
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw error(at, "unpaired surrogate escape in string");
            }
            if (sb != null) {
              sb.append(c).append(low);
            }
            return 2;
          }
          throw error(at, "unpaired surrogate escape in string");
        } else if (Character.isLowSurrogate(c)) {
          throw error(at, "unpaired surrogate escape in string");
        }
      }
      default -> throw error(at, "invalid escape sequence in string");
    }
    if (sb != null) {
      sb.append(c);
    }
    return 1;
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
    if (checkOnly) {
      return null;
    }
    String text = new String(bytes, start, pos - start, java.nio.charset.StandardCharsets.US_ASCII);
    if (!integer) {
      try {
        return new BigDecimal(text);
      } catch (NumberFormatException | ArithmeticException outOfRange) {
        throw error(start, "number " + text + " is out of range");
      }
    }
    if (text.equals("-0")) {
      return -0.0; // a number, but not a canonical integer
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
