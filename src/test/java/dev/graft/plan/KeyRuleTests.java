package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Key rules: regular expressions on RE2/J with {@code java.util.regex}'s replaceAll semantics, and
 * the limits every rule is held to when options are built.
 */
class KeyRuleTests {

  private static String java(String pattern, String replacement, String key) {
    return java.util.regex.Pattern.compile(pattern).matcher(key).replaceAll(replacement);
  }

  private static String re2(String pattern, String replacement, String key) {
    return new KeyRule.RegexRename(pattern, replacement).apply(key);
  }

  private static LoadOptionsRejected rejected(KeyRule... rules) {
    return catchThrowableOfType(
        () -> LoadOptions.defaults().withKeyRules(List.of(rules)), LoadOptionsRejected.class);
  }

  // --- Java's replaceAll, on RE2/J
  // ------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "^layer(\\d+)\\.        | layers.$1.      | layer12.conv.weight",
        "^layer(\\d+)\\.        | layers.$1.      | xlayer1.conv",
        "(\\d+)                 | <$1>            | a1.b22.c333",
        "(?<n>\\d)              | [${n}]          | a1b2",
        "(a)(b)?                | $1-$2:          | a.ab.b",
        "b*                     | -               | abc",
        "\"\"                   | -               | abc",
        "\"\"                   | -               | \"\"",
        "x*                     | $0$0            | xx.y",
        "\\.                    | \\$             | a.b",
        "\\.                    | \\\\            | a.b",
        "\\.                    | \\x             | a.b",
        "(a)                    | $12             | a.a",
        "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k) | $11$10$1 | abcdefghijk",
        "^                      | p.              | key",
        "$                      | .s              | key",
        "(?i)LAYER              | L               | layer.Layer",
        "[^.]+$                 | w               | a.b.c",
        "(\\w+)\\.(\\w+)        | $2.$1           | a.b.c.d",
        "é                      | e               | café.é",
        "(.)                    | $1$1            | 😀a",
      })
  void shouldRewriteAsJavasReplaceAllDoes(String pattern, String replacement, String key) {
    assertThat(re2(pattern, replacement, key)).isEqualTo(java(pattern, replacement, key));
  }

  @Test
  void shouldAgreeWithJavaOnRandomPatternsReplacementsAndKeys() {
    Random random = new Random(8);
    int compared = 0;
    int staleCaptures = 0;
    for (int i = 0; i < 8_000; i++) {
      Generated g = Generated.pattern(random);
      String replacement = g.replacement(random);
      String pattern = g.text.toString();
      KeyRules.Compiled rule;
      try {
        rule = RegexRule.compile(pattern, replacement);
      } catch (LoadOptionsRejected e) {
        continue; // e.g. too large; what is refused is tested elsewhere
      }
      for (int k = 0; k < 10; k++) {
        String key = randomKey(random);
        String expected = java(pattern, replacement, key);
        String actual = rule.apply(key);
        if (!actual.equals(expected)) {
          // java.util.regex can report a group from a failed attempt at an earlier start (a group
          // inside a repetition that took no part in the match); without that leak it agrees.
          expected = javaFreshAtEachStart(pattern, replacement, key);
          staleCaptures++;
        }
        assertThat(actual)
            .as("'%s' -> '%s' on '%s'", pattern, replacement, key)
            .isEqualTo(expected);
        compared++;
      }
    }
    assertThat(compared).isGreaterThan(50_000);
    assertThat(staleCaptures).isLessThan(compared / 1000);
  }

  /**
   * Java's replaceAll with the groups cleared before each start position is tried, as {@code
   * Matcher.find} would if it did not let captures of a failed attempt leak into the next.
   */
  private static String javaFreshAtEachStart(String pattern, String replacement, String key) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(pattern).matcher(key);
    m.useTransparentBounds(true).useAnchoringBounds(false);
    StringBuilder out = new StringBuilder();
    int appended = 0;
    int from = 0;
    while (from <= key.length()) {
      int start = -1;
      for (int s = from; s <= key.length(); s++) {
        m.region(s, key.length());
        if (m.lookingAt()) {
          start = s;
          break;
        }
      }
      if (start < 0) {
        break;
      }
      StringBuilder expansion = new StringBuilder();
      m.appendReplacement(expansion, replacement); // key[0, start) then the expansion
      out.append(key, appended, start).append(expansion, start, expansion.length());
      appended = m.end();
      from = m.end() == start ? m.end() + 1 : m.end();
    }
    return out.append(key, appended, key.length()).toString();
  }

  private static String randomKey(Random random) {
    String alphabet = "ab.1_";
    StringBuilder b = new StringBuilder();
    int n = random.nextInt(12);
    for (int i = 0; i < n; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  /** A random pattern from a grammar both engines read alike, and what its groups are. */
  private static final class Generated {
    final StringBuilder text = new StringBuilder();
    int groups;
    final List<String> names = new ArrayList<>();

    static Generated pattern(Random random) {
      Generated g = new Generated();
      g.alternation(random, 0);
      return g;
    }

    private void alternation(Random random, int depth) {
      sequence(random, depth);
      if (random.nextInt(5) == 0) {
        text.append('|');
        sequence(random, depth);
      }
    }

    private void sequence(Random random, int depth) {
      int n = random.nextInt(4);
      for (int i = 0; i < n; i++) {
        atom(random, depth);
        if (random.nextInt(3) == 0) {
          String[] q = {"*", "+", "?", "{1,2}", "{2}", "*?", "+?", "??", "{0,1}"};
          text.append(q[random.nextInt(q.length)]);
        }
      }
    }

    private void atom(Random random, int depth) {
      int choice = random.nextInt(depth < 3 ? 14 : 10);
      switch (choice) {
        case 0 -> text.append('a');
        case 1 -> text.append('b');
        case 2 -> text.append("\\.");
        case 3 -> text.append('.');
        case 4 -> text.append("\\d");
        case 5 -> text.append("[ab]");
        case 6 -> text.append("[^.]");
        case 7 -> text.append(random.nextBoolean() ? "^" : "$");
        case 8 -> text.append("\\w");
        case 9 -> text.append("\\b");
        case 10, 11 -> {
          groups++;
          text.append('(');
          alternation(random, depth + 1);
          text.append(')');
        }
        case 12 -> {
          text.append("(?:");
          alternation(random, depth + 1);
          text.append(')');
        }
        default -> {
          groups++;
          String name = "n" + groups;
          names.add(name);
          text.append("(?<").append(name).append('>');
          alternation(random, depth + 1);
          text.append(')');
        }
      }
    }

    String replacement(Random random) {
      StringBuilder r = new StringBuilder();
      int n = random.nextInt(4);
      for (int i = 0; i < n; i++) {
        switch (random.nextInt(6)) {
          case 0 -> r.append('x');
          case 1 -> r.append("$0");
          case 2 -> r.append('$').append(random.nextInt(groups + 1));
          case 3 -> r.append(names.isEmpty() ? "\\$" : "${" + names.get(0) + "}");
          case 4 -> r.append("\\\\");
          default -> r.append('.');
        }
      }
      return r.toString();
    }
  }

  // --- replacements checked up front
  // ----------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "(a)     | $9       | group $9, but the pattern has 1 group",
        "a       | $1       | group $1, but the pattern has 0 groups",
        "(a)     | x\\      | lone '\\'",
        "(a)     | x$       | lone '$'",
        "(?<n>a) | ${nope}  | ${nope}",
        "(a)     | ${1x}    | starts with a digit",
        "(a)     | ${}      | without a group name",
        "(a)     | ${n      | without a closing '}'",
        "(a)     | $a       | '$' followed by 'a'",
      })
  void shouldRefuseReplacementsJavaWouldRefuseAtTheFirstMatch(
      String pattern, String replacement, String message) {
    LoadOptionsRejected e =
        rejected(new KeyRule.StripPrefix("module."), new KeyRule.RegexRename(pattern, replacement));

    assertThat(e.field()).isEqualTo("keyRules[1].replacement");
    assertThat(e.reason()).contains(message);
    // java.util.regex agrees these are wrong (it only says so once something matches).
    assertThatThrownBy(() -> java(pattern, replacement, "a"))
        .isInstanceOfAny(IllegalArgumentException.class, IndexOutOfBoundsException.class);
  }

  // --- patterns
  // -------------------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "(a)\\1", "(?=a)a", "(?!a)b", "(?<=a)b", "(?<!a)b", "a*+", "a++", "(?>a)", "\\Ga", "a\\Z"
  })
  void shouldRefuseWhatTheLinearTimeEngineCannotRun(String pattern) {
    LoadOptionsRejected e = rejected(new KeyRule.RegexRename(pattern, "x"));

    assertThat(e.field()).isEqualTo("keyRules[0].pattern");
    assertThat(e.reason()).contains("linear-time engine (RE2) cannot run");
  }

  @ParameterizedTest
  @CsvSource({"(unclosed", "a{2,1}", "(?P<name>a)", "x{,3}", "*a"})
  void shouldRefusePatternsThatAreNotJavaSyntax(String pattern) {
    LoadOptionsRejected e = rejected(new KeyRule.RegexRename(pattern, "x"));

    assertThat(e.field()).isEqualTo("keyRules[0].pattern");
    assertThat(e.reason()).contains("is not a valid Java regular expression");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[a-z&&[^b]] | intersection",
        "[[:alpha:]] | nests '['",
        "[a[bc]]     | nests '['",
        "a\\v        | \\v",
        "(?U)\\w     | flag U",
      })
  void shouldRefuseConstructsThatMeanSomethingElseInRe2(String pattern, String message) {
    LoadOptionsRejected e = rejected(new KeyRule.RegexRename(pattern, "x"));

    assertThat(e.field()).isEqualTo("keyRules[0].pattern");
    assertThat(e.reason()).contains(message);
  }

  @ParameterizedTest
  @CsvSource({"(a*)*", "(x|)+", "\\b?", "(a?){2}", "(?:^)*a", "((a)|b?)+?", "(?<n>)*"})
  void shouldRefuseRepeatingWhatCanMatchNothingWhereJavaAndRe2Disagree(String pattern) {
    LoadOptionsRejected e = rejected(new KeyRule.RegexRename(pattern, "x"));

    assertThat(e.field()).isEqualTo("keyRules[0].pattern");
    assertThat(e.reason()).contains("repeats a part that can match the empty string");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void shouldRefuseRepetitionsThatUnrollIntoHugePrograms() {
    for (String pattern :
        List.of("((a{1000}){1000}){1000}", "(a{1000}){1000}", "(((a{100}){100}){100}){100}")) {
      LoadOptionsRejected e = rejected(new KeyRule.RegexRename(pattern, "x"));
      assertThat(e.field()).isEqualTo("keyRules[0].pattern");
      assertThat(e.reason()).contains("instructions once its repetitions are unrolled");
    }
  }

  @Test
  void shouldBoundTheProgramSizeFromAboveBeforeCompiling() {
    Random random = new Random(3);
    for (int i = 0; i < 20_000; i++) {
      String pattern = Generated.pattern(random).text.toString();
      if (random.nextBoolean()) {
        pattern = "(" + pattern + "){" + random.nextInt(20) + "," + (20 + random.nextInt(20)) + "}";
      }
      com.google.re2j.Pattern compiled;
      try {
        compiled = com.google.re2j.Pattern.compile(pattern);
      } catch (com.google.re2j.PatternSyntaxException e) {
        continue;
      }
      assertThat(RegexRule.Shape.of(pattern).size())
          .as(pattern)
          .isGreaterThanOrEqualTo(compiled.programSize());
    }
  }

  /**
   * The patterns from the issue, which backtrack for minutes in {@code java.util.regex} on a long
   * key, run in linear time on RE2/J: 200 keys of 1,000 characters through each in well under a
   * second (the timeout is a guard against a return to backtracking, not a benchmark).
   */
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void shouldRunPathologicalPatternsOnLongKeysInLinearTime() {
    String longKey = "a".repeat(1000);
    List<String> pathological =
        List.of("(a+)+$", "(a|aa)*b", "(.*a){20}", "(a+a+)+b", "(a|b)*c", "(\\w+\\.?)+!");
    for (String pattern : pathological) {
      KeyRules.Compiled rule = RegexRule.compile(pattern, "x");
      for (int i = 0; i < 200; i++) {
        rule.apply(longKey + i);
      }
    }
    assertThat(re2("(a+)+$", "x", longKey + "!")).isEqualTo(longKey + "!");
    assertThat(re2("(a|aa)*b", "x", longKey)).isEqualTo(longKey);
    assertThat(re2("(.*a){20}", "x", longKey)).isEqualTo("x");
  }

  // --- growth
  // -------------------------------------------------------------------------------------------

  @Test
  void shouldRefuseARuleThatGrowsAKeyPastTheKeyLimit() {
    // An empty match between every character multiplies the key by the replacement's length.
    assertThatThrownBy(() -> re2("", "x".repeat(1000), "a".repeat(600)))
        .isInstanceOf(LoadOptionsRejected.class)
        .hasMessageContaining("more than 1024 bytes");
    assertThatThrownBy(() -> new KeyRule.AddPrefix("p".repeat(1000)).apply("k".repeat(30)))
        .isInstanceOf(LoadOptionsRejected.class);
    // Up to the limit is fine, and so is a long key a rule does not lengthen.
    assertThat(new KeyRule.AddPrefix("p".repeat(1000)).apply("k".repeat(24))).hasSize(1024);
    String old = "k".repeat(3000);
    assertThat(re2("k", "j", old)).isEqualTo("j".repeat(3000));
    assertThat(new KeyRule.StripPrefix("kk").apply(old)).hasSize(2998);
  }

  // --- limits
  // -------------------------------------------------------------------------------------------

  @Test
  void shouldRefuseMoreRulesThanTheLimitBeforeLookingAtAnyOfThem() {
    List<KeyRule> rules =
        new ArrayList<>(Collections.nCopies(20_000, new KeyRule.RegexRename("(a|b)*c", "x")));

    long start = System.nanoTime();
    LoadOptionsRejected e =
        catchThrowableOfType(
            () -> LoadOptions.defaults().withKeyRules(rules), LoadOptionsRejected.class);

    assertThat(e.field()).isEqualTo("keyRules");
    assertThat(e.reason()).contains("at most 64 rules");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
    assertThat(LoadOptions.defaults().withKeyRules(rules.subList(0, 64)).keyRules()).hasSize(64);
  }

  @Test
  void shouldNameTheRuleAndFieldOfTextThatBreaksTheLimits() {
    String big = "é".repeat(513); // 1,026 bytes in UTF-8, 513 chars

    assertThat(rejected(new KeyRule.AddPrefix(big)).field()).isEqualTo("keyRules[0].prefix");
    assertThat(rejected(new KeyRule.AddPrefix(big)).reason()).contains("at most 1024");
    assertThat(rejected(new KeyRule.StripPrefix("a\0")).reason()).contains("U+0000");
    assertThat(rejected(new KeyRule.StripPrefix("")).reason()).contains("must not be empty");
    assertThat(rejected(new KeyRule.StripPrefix(null)).reason()).contains("is required");
    assertThat(rejected(new KeyRule.StripPrefix("a\uD800")).reason()).contains("lone surrogate");
    assertThat(rejected(new KeyRule.RegexRename("a\0", "x")).field())
        .isEqualTo("keyRules[0].pattern");
    assertThat(rejected(new KeyRule.RegexRename("a", "x\0")).field())
        .isEqualTo("keyRules[0].replacement");
    assertThat(rejected(new KeyRule.RegexRename(null, "x")).field())
        .isEqualTo("keyRules[0].pattern");
    assertThat(rejected(new KeyRule.RegexRename("a", null)).field())
        .isEqualTo("keyRules[0].replacement");
    assertThat(rejected(new KeyRule.RegexRename("a".repeat(1025), "x")).field())
        .isEqualTo("keyRules[0].pattern");
    assertThat(
            catchThrowableOfType(
                    () -> LoadOptions.defaults().withKeyRules(Collections.singletonList(null)),
                    LoadOptionsRejected.class)
                .field())
        .isEqualTo("keyRules[0]");
  }

  @Test
  void shouldNameTheFreezePatternThatBreaksTheLimits() {
    assertThat(
            catchThrowableOfType(
                    () -> LoadOptions.defaults().withFreeze(List.of("ok.*", "bad\0")),
                    LoadOptionsRejected.class)
                .field())
        .isEqualTo("freeze[1]");
    assertThat(
            catchThrowableOfType(
                    () -> LoadOptions.defaults().withFreeze(List.of("x".repeat(1025))),
                    LoadOptionsRejected.class)
                .field())
        .isEqualTo("freeze[0]");
    assertThat(
            catchThrowableOfType(
                    () -> LoadOptions.defaults().withFreeze(Collections.nCopies(65, "a*")),
                    LoadOptionsRejected.class)
                .field())
        .isEqualTo("freeze");
  }
}
