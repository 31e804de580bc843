package dev.graft.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of Graft's bearer tokens: {@code graft_<prefix>_<secret>}, where the prefix is 8 hex
 * digits that find the token's row (and show in listings), and the secret 32 random bytes in
 * base64url (a bootstrap token set by an operator may carry 32 to 128 such characters). Only the
 * SHA-256 of the whole text is stored: the secret's 256 random bits make a slow hash unnecessary.
 */
final class TokenSecrets {

  /** The whole token; group 1 is the prefix. */
  static final Pattern SHAPE = Pattern.compile("graft_([0-9a-f]{8})_[A-Za-z0-9_-]{32,128}");

  /** What {@link #SHAPE} asks, in words, for messages. */
  static final String SHAPE_IN_WORDS =
      "graft_<8 lower-case hex digits>_<32 to 128 letters, digits, '-' or '_'>";

  private static final SecureRandom RANDOM = new SecureRandom();

  private TokenSecrets() {}

  /** A new random token. */
  static String newToken() {
    byte[] prefix = new byte[4];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(prefix);
    RANDOM.nextBytes(secret);
    return "graft_"
        + HexFormat.of().formatHex(prefix)
        + "_"
        + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** The prefix of a well-formed token, or {@code null} when the text is not one. */
  static String prefixOf(String token) {
    if (token == null || token.length() > 200) {
      return null;
    }
    Matcher m = SHAPE.matcher(token);
    return m.matches() ? m.group(1) : null;
  }

  /** How a token is shown where its secret must not be: {@code graft_1a2b3c4d}. */
  static String display(String prefix) {
    return "graft_" + prefix;
  }

  /** The SHA-256 of a token's text, as stored. */
  static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Compares two hashes in time that does not depend on where they differ. */
  static boolean sameHash(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }
}
