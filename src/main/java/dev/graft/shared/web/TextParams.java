package dev.graft.shared.web;

import dev.graft.shared.InvalidInput;

/**
 * Checks text a client sends in a query parameter before it reaches a query: its length is bounded
 * by the column or index it is compared with. (NUL is refused for every parameter by {@code
 * RequestTextFilter}.)
 */
public final class TextParams {

  /** The longest search text ({@code q}) and name. */
  public static final int MAX_NAME = 255;

  /** The longest key or key prefix: the key index's limit in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 1024;

  private TextParams() {}

  /**
   * Checks an optional parameter's length in characters.
   *
   * @return the value, unchanged
   * @throws InvalidInput naming the parameter when it is longer than {@code maxChars}
   */
  public static String atMost(String field, String value, int maxChars) {
    if (value != null && value.length() > maxChars) {
      throw new InvalidInput(
          field, "must be at most " + maxChars + " characters, was " + value.length());
    }
    return value;
  }

  /**
   * Checks an optional key or key prefix against the key index's limit.
   *
   * @return the value, unchanged
   * @throws InvalidInput naming the parameter when its UTF-8 form is longer than {@value
   *     #MAX_KEY_BYTES} bytes
   */
  public static String key(String field, String value) {
    if (value != null
        && value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw new InvalidInput(field, "must be at most " + MAX_KEY_BYTES + " bytes of UTF-8");
    }
    return value;
  }

  /**
   * Checks an optional SHA-256 in hex, as blobs are named.
   *
   * @return the value in lower case, or {@code null} when absent
   * @throws InvalidInput naming the parameter when it is not 64 hex digits
   */
  public static String sha256(String field, String value) {
    if (value == null) {
      return null;
    }
    String lower = value.toLowerCase(java.util.Locale.ROOT);
    if (!lower.matches("[0-9a-f]{64}")) {
      throw new InvalidInput(
          field,
          "must be a SHA-256 in hex (64 digits), was " + dev.graft.shared.Texts.quote(value));
    }
    return lower;
  }
}
