package dev.graft.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Freeze patterns: {@code *} matches any run of characters, dots included; everything else is
 * literal, and a pattern matches a whole key.
 *
 * <p>Matching never backtracks: the text between stars is placed at its leftmost occurrence, which
 * is optimal when {@code *} is the only wildcard, and each occurrence is found with
 * Knuth-Morris-Pratt, so one pattern against one key is linear in their lengths.
 */
final class Globs {

  private final List<Glob> globs;

  private Globs(List<Glob> globs) {
    this.globs = globs;
  }

  /**
   * Checks and compiles patterns.
   *
   * @throws LoadOptionsRejected naming {@code freeze} or {@code freeze[i]}
   */
  static Globs compile(List<String> patterns) {
    return compile("freeze", patterns);
  }

  /**
   * Checks and compiles patterns given under {@code field} (a source's {@code include}).
   *
   * @throws LoadOptionsRejected naming {@code field} or {@code field[i]}
   */
  static Globs compile(String field, List<String> patterns) {
    if (patterns.size() > LoadOptions.MAX_FREEZE_GLOBS) {
      throw new LoadOptionsRejected(
          field,
          "at most "
              + LoadOptions.MAX_FREEZE_GLOBS
              + " patterns are allowed, got "
              + patterns.size());
    }
    List<Glob> out = new ArrayList<>(patterns.size());
    for (int i = 0; i < patterns.size(); i++) {
      out.add(Glob.of(KeyRules.checkText(field + "[" + i + "]", patterns.get(i), true)));
    }
    return new Globs(out);
  }

  boolean isEmpty() {
    return globs.isEmpty();
  }

  boolean matchesAny(String key) {
    for (Glob g : globs) {
      if (g.matches(key)) {
        return true;
      }
    }
    return false;
  }

  /** One pattern: the text before the first star, between stars, and after the last. */
  private static final class Glob {
    private final String literal; // the whole pattern when it has no star, else null
    private final String head;
    private final String tail;
    private final String[] middle;
    private final int[][] failure;

    private Glob(String literal, String head, String tail, String[] middle) {
      this.literal = literal;
      this.head = head;
      this.tail = tail;
      this.middle = middle;
      this.failure = new int[middle.length][];
      for (int k = 0; k < middle.length; k++) {
        failure[k] = failureFunction(middle[k]);
      }
    }

    static Glob of(String pattern) {
      int first = pattern.indexOf('*');
      if (first < 0) {
        return new Glob(pattern, null, null, new String[0]);
      }
      int last = pattern.lastIndexOf('*');
      List<String> middle = new ArrayList<>();
      int start = first + 1;
      while (start <= last) {
        int star = pattern.indexOf('*', start);
        if (star > start) {
          middle.add(pattern.substring(start, star));
        }
        start = star + 1;
      }
      return new Glob(
          null,
          pattern.substring(0, first),
          pattern.substring(last + 1),
          middle.toArray(new String[0]));
    }

    boolean matches(String key) {
      if (literal != null) {
        return key.equals(literal);
      }
      if (key.length() < head.length() + tail.length()
          || !key.startsWith(head)
          || !key.endsWith(tail)) {
        return false;
      }
      int from = head.length();
      int to = key.length() - tail.length();
      for (int k = 0; k < middle.length; k++) {
        int at = indexOf(key, from, to, middle[k], failure[k]);
        if (at < 0) {
          return false;
        }
        from = at + middle[k].length();
      }
      return true;
    }

    /** Where {@code needle} first lies wholly inside {@code text[from, to)}, or -1. */
    private static int indexOf(String text, int from, int to, String needle, int[] failure) {
      int matched = 0;
      for (int i = from; i < to; i++) {
        char c = text.charAt(i);
        while (matched > 0 && needle.charAt(matched) != c) {
          matched = failure[matched - 1];
        }
        if (needle.charAt(matched) == c) {
          matched++;
        }
        if (matched == needle.length()) {
          return i - matched + 1;
        }
      }
      return -1;
    }

    /** For each prefix of {@code s}, the length of its longest proper border. */
    private static int[] failureFunction(String s) {
      int[] f = new int[s.length()];
      int k = 0;
      for (int i = 1; i < s.length(); i++) {
        while (k > 0 && s.charAt(i) != s.charAt(k)) {
          k = f[k - 1];
        }
        if (s.charAt(i) == s.charAt(k)) {
          k++;
        }
        f[i] = k;
      }
      return f;
    }
  }
}
