package dev.graft.plan;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code regex} key rule compiled for RE2/J, whose matching time is linear in the key's length
 * whatever the pattern, with the replacement read exactly as {@link
 * java.util.regex.Matcher#replaceAll(String)} reads it ({@code $1}, {@code ${name}}, {@code \$},
 * {@code \\}) and matches found as {@code java.util.regex} finds them (after an empty match the
 * search moves on one character).
 *
 * <p>The API promises Java syntax, so a pattern must compile in {@code java.util.regex} too (it is
 * only compiled there, never run). Java constructs RE2 cannot run in linear time (backreferences,
 * lookaround, possessive quantifiers, atomic groups) are refused, and so are the constructs both
 * engines accept with different meanings: nested classes and intersections inside {@code [...]},
 * {@code \v}, the {@code U} flag, and a quantifier on a part that can match the empty string
 * ({@code (a*)*}), where backtracking and RE2 disagree on what the repetition matches. A
 * differential test against {@code java.util.regex} holds the rest to the same results, with one
 * deliberate exception: where Java reports a group captured by a failed attempt at an earlier
 * position (a group inside a repetition that took no part in the match), this reports it as not
 * taking part, as the documented semantics say. The differences left concern characters state-dict
 * keys do not carry in practice: Java's {@code $} also matches before a final line terminator, its
 * {@code .} excludes {@code \r}, U+0085, U+2028 and U+2029, and its {@code \s} includes U+000B;
 * {@code (?i)} folds non-ASCII case in RE2 only.
 */
final class RegexRule extends KeyRules.Compiled {

  /** Instructions of the compiled program, repetitions unrolled. */
  static final int MAX_PROGRAM = 2_000;

  private final Pattern pattern;

  /** The replacement: {@link String} literals and {@link Integer} group numbers, in order. */
  private final Object[] parts;

  private RegexRule(Pattern pattern, Object[] parts) {
    this.pattern = pattern;
    this.parts = parts;
  }

  /**
   * Checks and compiles a rule.
   *
   * @throws LoadOptionsRejected naming {@code pattern} or {@code replacement}
   */
  static RegexRule compile(String regex, String replacement) {
    KeyRules.checkText("pattern", regex, true);
    KeyRules.checkText("replacement", replacement, true);
    // RE2/J unrolls counted repetitions as it compiles ((a{1000}){1000} is a million
    // instructions), so the size is bounded from the text before anything is allocated.
    Shape shape = Shape.of(regex);
    if (shape.size() > MAX_PROGRAM) {
      throw tooLarge(shape.size());
    }
    String javaError = javaSyntaxError(regex);
    Pattern compiled;
    try {
      compiled = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      if (javaError != null) {
        throw new LoadOptionsRejected(
            "pattern", "is not a valid Java regular expression: " + javaError);
      }
      throw new LoadOptionsRejected(
          "pattern",
          "uses a construct the linear-time engine (RE2) cannot run: backreferences, lookaround,"
              + " possessive quantifiers, atomic groups and some Java-only escapes and flags are"
              + " not supported ("
              + e.getDescription()
              + ")");
    }
    if (javaError != null) {
      throw new LoadOptionsRejected(
          "pattern", "is not a valid Java regular expression: " + javaError);
    }
    String divergence = meaningDiffers(regex);
    if (divergence != null) {
      throw new LoadOptionsRejected("pattern", divergence);
    }
    if (shape.emptyRepeatAt() >= 0) {
      throw new LoadOptionsRejected(
          "pattern",
          "repeats a part that can match the empty string (quantifier at index "
              + shape.emptyRepeatAt()
              + ", as in (a*)*, (x|)+ or \\b?): Java and RE2 disagree on what such a repetition"
              + " matches; make the repeated part consume at least one character");
    }
    if (compiled.programSize() > MAX_PROGRAM) {
      throw tooLarge(compiled.programSize());
    }
    if (shape.groups() != compiled.groupCount()) {
      throw new LoadOptionsRejected(
          "pattern", "has groups that cannot be counted reliably; simplify the pattern");
    }
    return new RegexRule(
        compiled, parseReplacement(replacement, compiled.groupCount(), shape.names()));
  }

  private static LoadOptionsRejected tooLarge(long size) {
    return new LoadOptionsRejected(
        "pattern",
        "expands to about "
            + size
            + " instructions once its repetitions are unrolled; at most "
            + MAX_PROGRAM
            + " are allowed");
  }

  @Override
  String apply(String key) {
    Matcher m = pattern.matcher(key);
    if (!m.find(0)) {
      return key;
    }
    // A key may not grow past the limit (or past its own size): stop building as soon as the
    // chars alone say so, since an empty match with a long replacement multiplies the length.
    int budget = Math.max(LoadOptions.MAX_KEY_BYTES, KeyRules.utf8Length(key));
    StringBuilder out = new StringBuilder(Math.min(budget, key.length() + 16));
    int appended = 0;
    while (true) {
      int start = m.start();
      int end = m.end();
      out.append(key, appended, start);
      for (Object part : parts) {
        if (part instanceof String literal) {
          out.append(literal);
        } else {
          int group = (Integer) part;
          int from = m.start(group);
          if (from >= 0) {
            out.append(key, from, m.end(group));
          }
        }
      }
      if (out.length() > budget) {
        throw KeyRules.grew(key);
      }
      appended = end;
      // java.util.regex.Matcher.find: the next search starts where the match ended, one char
      // further when the match was empty.
      int next = end == start ? end + 1 : end;
      if (next > key.length() || !m.find(next)) {
        break;
      }
    }
    out.append(key, appended, key.length());
    if (out.length() > budget) {
      throw KeyRules.grew(key);
    }
    return KeyRules.checkGrowth(key, out.toString());
  }

  /**
   * The replacement as {@code java.util.regex.Matcher.appendReplacement} reads it, checked against
   * the pattern's groups once rather than at the first match.
   */
  static Object[] parseReplacement(String r, int groupCount, Map<String, Integer> named) {
    List<Object> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < r.length()) {
      char c = r.charAt(i);
      if (c == '\\') {
        i++;
        if (i == r.length()) {
          throw badReplacement(r, "ends with a lone '\\' (write '\\\\' for a backslash)");
        }
        literal.append(r.charAt(i++));
      } else if (c == '$') {
        i++;
        if (i == r.length()) {
          throw badReplacement(r, "ends with a lone '$' (write '\\$' for a dollar sign)");
        }
        int group;
        if (r.charAt(i) == '{') {
          i++;
          int nameStart = i;
          while (i < r.length() && isAsciiLetterOrDigit(r.charAt(i))) {
            i++;
          }
          String name = r.substring(nameStart, i);
          if (name.isEmpty()) {
            throw badReplacement(r, "has '${' without a group name");
          }
          if (i == r.length() || r.charAt(i) != '}') {
            throw badReplacement(r, "has '${" + name + "' without a closing '}'");
          }
          if (Character.isDigit(name.charAt(0))) {
            throw badReplacement(r, "names group {" + name + "}, which starts with a digit");
          }
          Integer index = named.get(name);
          if (index == null) {
            throw badReplacement(
                r, "refers to group ${" + name + "}, but the pattern has no group of that name");
          }
          group = index;
          i++;
        } else {
          group = r.charAt(i) - '0';
          if (group < 0 || group > 9) {
            throw badReplacement(
                r,
                "has '$' followed by '"
                    + r.charAt(i)
                    + "'; a '$' starts a group reference such as $1 or ${name} (write '\\$' for"
                    + " a dollar sign)");
          }
          i++;
          // Java takes the longest run of digits that still names an existing group: "$12" is
          // group 1 then "2" when there are fewer than 12 groups.
          while (i < r.length()) {
            int digit = r.charAt(i) - '0';
            if (digit < 0 || digit > 9 || group * 10 + digit > groupCount) {
              break;
            }
            group = group * 10 + digit;
            i++;
          }
          if (group > groupCount) {
            throw badReplacement(
                r,
                "refers to group $"
                    + group
                    + ", but the pattern has "
                    + groupCount
                    + (groupCount == 1 ? " group" : " groups"));
          }
        }
        if (literal.length() > 0) {
          parts.add(literal.toString());
          literal.setLength(0);
        }
        parts.add(group);
      } else {
        literal.append(c);
        i++;
      }
    }
    if (literal.length() > 0) {
      parts.add(literal.toString());
    }
    return parts.toArray();
  }

  private static boolean isAsciiLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static LoadOptionsRejected badReplacement(String replacement, String why) {
    return new LoadOptionsRejected("replacement", KeyRules.abbreviate(replacement) + " " + why);
  }

  /** Why {@code java.util.regex} refuses the pattern, or {@code null}: compiled, never run. */
  private static String javaSyntaxError(String regex) {
    try {
      java.util.regex.Pattern.compile(regex);
      return null;
    } catch (java.util.regex.PatternSyntaxException e) {
      return e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "");
    } catch (StackOverflowError e) {
      return "it nests too deeply";
    }
  }

  /**
   * Why a pattern both engines accept would match differently in RE2 than in Java, or {@code null}.
   * Inside a class, Java reads {@code [} as a nested class and {@code &&} as an intersection where
   * RE2 reads literals (or a POSIX class); {@code \v} is any vertical whitespace in Java and only
   * U+000B in RE2; flag {@code U} is Unicode classes in Java and ungreedy matching in RE2.
   */
  static String meaningDiffers(String re) {
    int n = re.length();
    boolean inClass = false;
    int i = 0;
    while (i < n) {
      char c = re.charAt(i);
      if (c == '\\') {
        if (i + 1 < n && re.charAt(i + 1) == 'Q') {
          int end = re.indexOf("\\E", i + 2);
          i = end < 0 ? n : end + 2;
          continue;
        }
        if (i + 1 < n && re.charAt(i + 1) == 'v') {
          return "uses \\v, which is vertical whitespace in Java but only U+000B in RE2; write the"
              + " characters meant, e.g. [\\n\\x0B\\f\\r]";
        }
        i += 2;
        continue;
      }
      if (inClass) {
        if (c == '[') {
          return "nests '[' inside a character class: Java reads a nested class (or a union),"
              + " RE2 a literal or a POSIX class; escape it as \\[";
        }
        if (c == '&' && i + 1 < n && re.charAt(i + 1) == '&') {
          return "uses '&&' inside a character class: Java reads an intersection, RE2 literal"
              + " '&'s; list the characters meant instead";
        }
        if (c == ']') {
          inClass = false;
        }
        i++;
        continue;
      }
      if (c == '[') {
        inClass = true;
        i++;
        if (i < n && re.charAt(i) == '^') {
          i++;
        }
        if (i < n && re.charAt(i) == ']') {
          i++; // a ']' first in a class is a literal in both
        }
        continue;
      }
      if (c == '(' && i + 1 < n && re.charAt(i + 1) == '?') {
        int j = i + 2;
        while (j < n && (Character.isLetter(re.charAt(j)) || re.charAt(j) == '-')) {
          if (re.charAt(j) == 'U') {
            return "sets flag U, which means Unicode classes in Java but ungreedy matching in RE2";
          }
          j++;
        }
      }
      i++;
    }
    return null;
  }

  /**
   * What the text of a pattern says before any engine compiles it: an upper bound on the
   * instructions RE2/J compiles it into (each atom one, each group two more, each {@code |} and
   * quantifier two, a counted repetition multiplying what it repeats; saturating rather than
   * overflowing), and where a quantifier applies to a part that can match the empty string, the
   * case where backtracking engines and RE2 disagree on what a repetition matches ({@code (a*)*},
   * {@code (x|)+}, {@code \b?}).
   *
   * @param size the bound on instructions
   * @param emptyRepeatAt the index of the first quantifier on a part that can match nothing, or -1
   * @param groups capturing groups
   * @param names named groups' numbers ({@code com.google.re2j.Pattern#namedGroups} loses names of
   *     groups inside some repetitions)
   */
  record Shape(long size, int emptyRepeatAt, int groups, Map<String, Integer> names) {

    private static final long SATURATED = 1L << 40;

    /** One group (or the whole pattern) being read. */
    private static final class Frame {
      long total;
      boolean anyAlternativeEmpty;
      boolean alternativeEmpty = true;
      boolean alternativeEmptyBeforeLast = true;
      boolean hasLast;
      long lastSize;
      boolean lastEmpty;

      void item(long size, boolean canBeEmpty) {
        total += size;
        alternativeEmptyBeforeLast = alternativeEmpty;
        alternativeEmpty &= canBeEmpty;
        hasLast = true;
        lastSize = size;
        lastEmpty = canBeEmpty;
      }

      boolean canBeEmpty() {
        return anyAlternativeEmpty || alternativeEmpty;
      }
    }

    static Shape of(String re) {
      Deque<Frame> open = new ArrayDeque<>();
      Frame f = new Frame();
      int emptyRepeatAt = -1;
      int groups = 0;
      Map<String, Integer> names = new HashMap<>();
      int n = re.length();
      int i = 0;
      while (i < n) {
        char c = re.charAt(i);
        if (c == '\\') {
          char e = i + 1 < n ? re.charAt(i + 1) : 0;
          if (e == 'Q') {
            int end = re.indexOf("\\E", i + 2);
            int stop = end < 0 ? n : end;
            for (int k = i + 2; k < stop; k++) {
              f.item(1, false);
            }
            i = end < 0 ? n : end + 2;
            continue;
          }
          int j = i + 2;
          if ("pPxN".indexOf(e) >= 0 && j < n && re.charAt(j) == '{') {
            int close = re.indexOf('}', j);
            j = close < 0 ? n : close + 1;
          } else if (e == 'k' && j < n && re.charAt(j) == '<') {
            int close = re.indexOf('>', j);
            j = close < 0 ? n : close + 1;
          } else if (e == 'c') {
            j = i + 3;
          } else if (e == 'u') {
            j = i + 6;
          } else if (e == 'x') {
            j = i + 4;
          } else if (e >= '0' && e <= '9') {
            while (j < n && j < i + 5 && Character.isDigit(re.charAt(j)) && re.charAt(j) < 0x80) {
              j++;
            }
          }
          f.item(1, "bBAzZG".indexOf(e) >= 0);
          i = Math.min(j, n);
          continue;
        }
        switch (c) {
          case '[' -> {
            f.item(1, false);
            i = skipClass(re, i);
          }
          case '(' -> {
            int j = i + 1;
            if (j < n && re.charAt(j) == '?') {
              j++;
              // Inline flags alone, (?i), set a mode and are no part of the sequence.
              int k = j;
              while (k < n && (Character.isLetter(re.charAt(k)) || re.charAt(k) == '-')) {
                k++;
              }
              if (k < n && re.charAt(k) == ')' && k > j) {
                i = k + 1;
                continue;
              }
              if (k < n && re.charAt(k) == ':') {
                j = k + 1; // (?:...) or (?i:...)
              } else if (j < n && (re.charAt(j) == '<' || re.charAt(j) == 'P')) {
                int close = re.indexOf('>', j);
                boolean lookbehind =
                    j + 1 < n && re.charAt(j) == '<' && "=!".indexOf(re.charAt(j + 1)) >= 0;
                if (!lookbehind && close > 0) {
                  int nameStart = re.indexOf('<', j) + 1;
                  names.putIfAbsent(re.substring(nameStart, close), ++groups);
                }
                j = lookbehind ? j + 2 : close < 0 ? n : close + 1;
              } else if (j < n && "=!>".indexOf(re.charAt(j)) >= 0) {
                j++;
              }
            } else {
              groups++;
            }
            open.push(f);
            f = new Frame();
            i = j;
          }
          case ')' -> {
            if (open.isEmpty()) {
              f.item(1, false);
            } else {
              Frame group = f;
              f = open.pop();
              f.item(group.total + 3, group.canBeEmpty());
            }
            i++;
          }
          case '|' -> {
            f.anyAlternativeEmpty |= f.alternativeEmpty;
            f.alternativeEmpty = true;
            f.hasLast = false;
            f.total += 2;
            i++;
          }
          case '*', '+', '?', '{' -> {
            long[] repeat =
                c == '{' ? repeat(re, i) : new long[] {c == '+' ? 1 : 0, c == '?' ? 1 : -1, i + 1};
            if (repeat == null) {
              f.item(1, false); // a '{' that starts no repetition is a literal
              i++;
              continue;
            }
            if (f.hasLast) {
              if (f.lastEmpty && emptyRepeatAt < 0) {
                emptyRepeatAt = i;
              }
              // x{n,m} is n copies of x and m-n optional ones (a split each); x{n,} ends in x*.
              long min = repeat[0];
              long max = repeat[1];
              long copies = max < 0 ? Math.max(min, 1) : Math.max(max, 1);
              long splits = max < 0 ? 2 : Math.max(max - min, 0) + 1;
              long grown = f.lastSize * copies + splits;
              f.total += grown - f.lastSize;
              f.lastSize = grown;
              f.lastEmpty |= min == 0;
              f.alternativeEmpty = f.alternativeEmptyBeforeLast && f.lastEmpty;
            }
            i = (int) repeat[2];
            if (i < n && (re.charAt(i) == '?' || re.charAt(i) == '+')) {
              i++; // lazy or possessive
            }
          }
          case '^', '$' -> {
            f.item(1, true);
            i++;
          }
          default -> {
            f.item(1, false);
            i++;
          }
        }
        if (f.total > SATURATED || f.lastSize > SATURATED) {
          return new Shape(SATURATED, emptyRepeatAt, groups, names);
        }
      }
      while (!open.isEmpty()) {
        Frame group = f;
        f = open.pop();
        f.item(group.total + 3, group.canBeEmpty());
      }
      return new Shape(Math.min(f.total + 4, SATURATED), emptyRepeatAt, groups, Map.copyOf(names));
    }
  }

  /** The index after the class opening at {@code open}, escapes and POSIX classes skipped. */
  private static int skipClass(String re, int open) {
    int n = re.length();
    int j = open + 1;
    if (j < n && re.charAt(j) == '^') {
      j++;
    }
    if (j < n && re.charAt(j) == ']') {
      j++;
    }
    while (j < n && re.charAt(j) != ']') {
      if (re.charAt(j) == '\\') {
        j += 2;
      } else if (re.charAt(j) == '[' && j + 1 < n && re.charAt(j + 1) == ':') {
        // A POSIX class only when a name follows ([:alpha:]): never skip past more than RE2 reads
        // as one class, or a repetition outside it would go uncounted.
        int k = j + 2;
        if (k < n && re.charAt(k) == '^') {
          k++;
        }
        while (k < n && Character.isLetter(re.charAt(k))) {
          k++;
        }
        j = re.startsWith(":]", k) ? k + 2 : j + 1;
      } else {
        j++;
      }
    }
    return Math.min(j + 1, n);
  }

  /**
   * {@code {min}}, {@code {min,}} or {@code {min,max}} at {@code open}: min, max (-1 open), end.
   */
  private static long[] repeat(String re, int open) {
    int n = re.length();
    int j = open + 1;
    long min = 0;
    int digits = 0;
    while (j < n && Character.isDigit(re.charAt(j)) && re.charAt(j) < 0x80) {
      min = Math.min(min * 10 + (re.charAt(j) - '0'), 1_000_000);
      j++;
      digits++;
    }
    if (digits == 0 || j >= n) {
      return null;
    }
    long max = min;
    if (re.charAt(j) == ',') {
      j++;
      max = -1;
      int maxDigits = 0;
      long m = 0;
      while (j < n && Character.isDigit(re.charAt(j)) && re.charAt(j) < 0x80) {
        m = Math.min(m * 10 + (re.charAt(j) - '0'), 1_000_000);
        j++;
        maxDigits++;
      }
      if (maxDigits > 0) {
        max = m;
      }
    }
    if (j >= n || re.charAt(j) != '}') {
      return null;
    }
    return new long[] {min, max, j + 1};
  }
}
