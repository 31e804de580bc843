package dev.graft.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Key rules checked and compiled: the one place that knows their limits and how each kind rewrites
 * a key. {@link KeyRule} records are plain data; {@link LoadOptions} checks them when options are
 * built, and the planner compiles them once per plan.
 */
final class KeyRules {

  private KeyRules() {}

  /** A rule ready to apply. */
  abstract static class Compiled {

    /**
     * Rewrites one key.
     *
     * @return the rewritten key, or {@code key} itself when the rule does not apply
     * @throws LoadOptionsRejected (field {@code ""}) when the result would be longer than both
     *     {@link LoadOptions#MAX_KEY_BYTES} and the key itself
     */
    abstract String apply(String key);

    /** See {@link KeyRule#applyToModule(String)}. */
    String applyToModule(String module) {
      String dotted = module.isEmpty() ? "" : module + ".";
      String rewritten = apply(dotted);
      if (rewritten.equals(dotted)) {
        return module;
      }
      return rewritten.endsWith(".") ? rewritten.substring(0, rewritten.length() - 1) : rewritten;
    }
  }

  /**
   * Checks and compiles one rule.
   *
   * @throws LoadOptionsRejected naming the rule's field ({@code pattern}, {@code replacement},
   *     {@code prefix}) when the rule is invalid
   */
  static Compiled compile(KeyRule rule) {
    if (rule instanceof KeyRule.StripPrefix s) {
      String prefix = checkText("prefix", s.prefix(), false);
      return new Compiled() {
        @Override
        String apply(String key) {
          return key.startsWith(prefix) ? key.substring(prefix.length()) : key;
        }
      };
    }
    if (rule instanceof KeyRule.AddPrefix a) {
      String prefix = checkText("prefix", a.prefix(), false);
      String module = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
      return new Compiled() {
        @Override
        String apply(String key) {
          return checkGrowth(key, prefix + key);
        }

        @Override
        String applyToModule(String name) {
          return name.isEmpty() ? module : checkGrowth(name, prefix + name);
        }
      };
    }
    if (rule instanceof KeyRule.RegexRename r) {
      return RegexRule.compile(r.pattern(), r.replacement());
    }
    throw new LoadOptionsRejected("", "is not a key rule");
  }

  /**
   * Checks and compiles rules in order.
   *
   * @throws LoadOptionsRejected naming the rule, e.g. {@code keyRules[3].replacement}
   */
  static List<Compiled> compileAll(List<KeyRule> rules) {
    if (rules.size() > LoadOptions.MAX_KEY_RULES) {
      throw new LoadOptionsRejected(
          "keyRules",
          "at most " + LoadOptions.MAX_KEY_RULES + " rules are allowed, got " + rules.size());
    }
    List<Compiled> out = new ArrayList<>(rules.size());
    for (int i = 0; i < rules.size(); i++) {
      KeyRule rule = rules.get(i);
      if (rule == null) {
        throw new LoadOptionsRejected("keyRules[" + i + "]", "is required, not null");
      }
      try {
        out.add(compile(rule));
      } catch (LoadOptionsRejected e) {
        throw e.under("keyRules[" + i + "]");
      }
    }
    return out;
  }

  /**
   * Checks a piece of text a client wrote into the options: present, without U+0000, valid UTF-16
   * (no lone surrogate), and at most {@link LoadOptions#MAX_TEXT_BYTES} in UTF-8.
   *
   * @return {@code value}
   * @throws LoadOptionsRejected naming {@code field}
   */
  static String checkText(String field, String value, boolean mayBeEmpty) {
    if (value == null) {
      throw new LoadOptionsRejected(field, "is required");
    }
    if (value.isEmpty() && !mayBeEmpty) {
      throw new LoadOptionsRejected(field, "must not be empty");
    }
    if (value.length() > LoadOptions.MAX_TEXT_BYTES) {
      // Checked before anything walks the text: a UTF-8 encoding is never shorter than the chars.
      throw tooLong(field, value.length());
    }
    if (value.indexOf('\0') >= 0) {
      throw new LoadOptionsRejected(field, "must not contain U+0000");
    }
    int bytes = utf8Length(value);
    if (bytes < 0) {
      throw new LoadOptionsRejected(field, "is not valid Unicode (it holds a lone surrogate)");
    }
    if (bytes > LoadOptions.MAX_TEXT_BYTES) {
      throw tooLong(field, bytes);
    }
    return value;
  }

  private static LoadOptionsRejected tooLong(String field, int atLeast) {
    return new LoadOptionsRejected(
        field,
        "is "
            + atLeast
            + " bytes or more in UTF-8; at most "
            + LoadOptions.MAX_TEXT_BYTES
            + " are allowed");
  }

  /**
   * {@code after}, or a refusal when a rule made a key longer than {@link
   * LoadOptions#MAX_KEY_BYTES} (and longer than it was): one rule applied to its own output could
   * otherwise grow keys without bound.
   */
  static String checkGrowth(String before, String after) {
    if (after.length() * 3L <= LoadOptions.MAX_KEY_BYTES) {
      return after;
    }
    int bytes = utf8Length(after);
    if (bytes > LoadOptions.MAX_KEY_BYTES && bytes > utf8Length(before)) {
      throw grew(before);
    }
    return after;
  }

  static LoadOptionsRejected grew(String before) {
    return new LoadOptionsRejected(
        "",
        "rewrites key "
            + abbreviate(before)
            + " to more than "
            + LoadOptions.MAX_KEY_BYTES
            + " bytes (UTF-8), the limit on any key");
  }

  /** The UTF-8 length of {@code s}, or -1 when it holds a lone surrogate. */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return -1;
        }
        n += 4;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return -1;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** A key quoted for a message, cut to 80 characters so messages stay short. */
  static String abbreviate(String key) {
    return "'" + (key.length() <= 80 ? key : key.substring(0, 77) + "...") + "'";
  }
}
