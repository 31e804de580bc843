package dev.graft.format.internal;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;

/**
 * The rules every state-dict key follows before Graft stores it: no U+0000 (PostgreSQL text holds
 * no NUL) and at most {@link ReadLimits#maxKeyLength()} bytes of UTF-8 (the btree index on keys
 * refuses entries over about 2,700 bytes). Every reader applies them; anything else that accepts
 * keys (a JSON architecture) can apply the same with {@link #check}.
 */
public final class StateDictKeys {

  private StateDictKeys() {}

  /**
   * Bytes of {@code s} in UTF-8, counted without encoding it; lone surrogates count 3 bytes.
   *
   * @param s any string
   * @return its length in UTF-8
   */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /**
   * Whether a key follows the rules; for values that are skipped rather than refused.
   *
   * @param key the key
   * @param limits supplies {@code maxKeyLength}
   * @return {@code true} when {@link #check} would accept it
   */
  public static boolean acceptable(String key, ReadLimits limits) {
    return key.indexOf('\0') < 0 && utf8Length(key) <= limits.maxKeyLength();
  }

  /**
   * Refuses a key that breaks the rules.
   *
   * @param key the key
   * @param limits supplies {@code maxKeyLength}
   * @param what names the key in messages, e.g. {@code "state dict key"}
   * @throws FormatException MALFORMED for a NUL, LIMIT_EXCEEDED for a long key; the message quotes
   *     the key, cut short
   */
  public static void check(String key, ReadLimits limits, String what) throws FormatException {
    if (key.indexOf('\0') >= 0) {
      throw FormatException.malformed(
          what + " " + FormatException.quote(key) + " contains U+0000 (NUL)");
    }
    long bytes = utf8Length(key);
    if (bytes > limits.maxKeyLength()) {
      throw FormatException.limit(
          what
              + " "
              + FormatException.quote(key)
              + " is "
              + bytes
              + " bytes in UTF-8, more than the limit of "
              + limits.maxKeyLength());
    }
  }
}
