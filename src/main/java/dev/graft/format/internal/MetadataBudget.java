package dev.graft.format.internal;

import dev.graft.format.ReadLimits;

/**
 * What is left of one checkpoint's metadata budget, shared by all its entries: rendered JSON
 * characters ({@link ReadLimits#maxMetadataChars()}) and JSON values ({@link
 * ReadLimits#maxMetadataNodes()}). The torch reader measures pickled values against it and the
 * safetensors reader its {@code __metadata__} strings; an entry that does not fit what is left is
 * left out, never rendered.
 */
public final class MetadataBudget {

  private long charsLeft;
  private long nodesLeft;

  /**
   * The whole budget of one checkpoint's metadata.
   *
   * @param limits supplies the metadata limits
   */
  public MetadataBudget(ReadLimits limits) {
    this.charsLeft = limits.maxMetadataChars() - 2; // the enclosing {}
    this.nodesLeft = limits.maxMetadataNodes() - 1L;
  }

  /**
   * Spends what one entry costs when it fits: its key, the {@code :} and {@code ,} around it, and
   * its rendered value.
   *
   * @param keyChars JSON characters of the key with its quotes ({@link #stringChars})
   * @param valueChars JSON characters of the rendered value
   * @param valueNodes JSON values in the rendered value
   * @return whether the entry fits; when it does not, nothing is spent
   */
  public boolean spend(long keyChars, long valueChars, long valueNodes) {
    long chars = add(add(keyChars, 2), valueChars);
    if (chars > charsLeft || valueNodes > nodesLeft) {
      return false;
    }
    charsLeft -= chars;
    nodesLeft -= valueNodes;
    return true;
  }

  /**
   * JSON characters of a string with its quotes, or -1 when it holds U+0000 (PostgreSQL stores no
   * NUL); linear in its length.
   *
   * @param s any string
   * @return its rendered length, or -1
   */
  public static long stringChars(String s) {
    long n = 2;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return -1;
      }
      n += c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;
    }
    return n;
  }

  private static long add(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }
}
