package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Freeze patterns: whole-key matches where only {@code *} is special, without backtracking. */
class GlobsTests {

  private static boolean matches(String glob, String key) {
    return Globs.compile(List.of(glob)).matchesAny(key);
  }

  /** What freeze patterns meant when they were compiled to java.util.regex. */
  private static boolean asRegex(String glob, String key) {
    StringBuilder regex = new StringBuilder();
    for (String part : glob.split("\\*", -1)) {
      if (regex.length() > 0 || glob.startsWith("*")) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(part));
    }
    return Pattern.compile(glob.isEmpty() ? "" : regex.toString(), Pattern.DOTALL)
        .matcher(key)
        .matches();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "backbone.*      | backbone.layer1.0.weight | true",
        "backbone.*      | head.backbone.x          | false",
        "*.weight        | a.b.weight               | true",
        "*.weight        | a.b.weight.x             | false",
        "*bn*            | layer1.0.bn1.bias        | true",
        "a*b*c           | abc                      | true",
        "a*b*c           | acb                      | false",
        "a*a             | a                        | false",
        "a.b             | axb                      | false",
        "a?              | ab                       | false",
        "a?              | a?                       | true",
        "[ab]            | a                        | false",
        "[ab]            | [ab]                     | true",
        "**              | anything                 | true",
        "x*              | x                        | true",
      })
  void shouldMatchWholeKeysWithOnlyStarSpecial(String glob, String key, boolean expected) {
    assertThat(matches(glob, key)).isEqualTo(expected);
  }

  @Test
  void shouldAgreeWithTheRegexTheyUsedToBe() {
    Random random = new Random(5);
    String alphabet = "ab.*";
    for (int i = 0; i < 50_000; i++) {
      String glob = random(random, alphabet, 8);
      String key = random(random, "ab.", 10);
      assertThat(matches(glob, key)).as("'%s' on '%s'", glob, key).isEqualTo(asRegex(glob, key));
    }
  }

  private static String random(Random random, String alphabet, int maxLength) {
    StringBuilder b = new StringBuilder();
    int n = random.nextInt(maxLength + 1);
    for (int i = 0; i < n; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  /**
   * The freeze pattern from the class, many stars against long keys that almost match,
   * backtracks polynomially as a regex; here each key takes one pass per star-separated part.
   */
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void shouldMatchPathologicalPatternsInLinearTime() {
    Globs globs = Globs.compile(List.of("*a".repeat(500) + "*b", "*" + "a".repeat(500) + "b*"));
    String key = "a".repeat(1000);
    for (int i = 0; i < 2_000; i++) {
      assertThat(globs.matchesAny(key)).isFalse();
    }
    assertThat(globs.matchesAny(key + "b")).isTrue();
  }
}
