package dev.graft.console;

import dev.graft.plan.KeyRule;
import dev.graft.shared.InvalidInput;
import java.util.ArrayList;
import java.util.List;

/**
 * Key rules as the preview form writes them, one a line: {@code stripPrefix module.}, {@code
 * addPrefix backbone.}, {@code regex <pattern> => <replacement>}.
 */
final class KeyRuleText {

  private static final String ARROW = " => ";

  private KeyRuleText() {}

  static String format(KeyRule rule) {
    if (rule instanceof KeyRule.StripPrefix s) {
      return "stripPrefix " + s.prefix();
    }
    if (rule instanceof KeyRule.AddPrefix a) {
      return "addPrefix " + a.prefix();
    }
    KeyRule.RegexRename r = (KeyRule.RegexRename) rule;
    return "regex " + r.pattern() + ARROW + r.replacement();
  }

  static List<KeyRule> parse(String text) {
    List<KeyRule> rules = new ArrayList<>();
    if (text == null) {
      return rules;
    }
    String[] lines = text.split("\\R");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      String field = "keyRules line " + (i + 1);
      int space = line.indexOf(' ');
      String type = space < 0 ? line : line.substring(0, space);
      String rest = space < 0 ? "" : line.substring(space + 1);
      switch (type) {
        case "stripPrefix" -> rules.add(new KeyRule.StripPrefix(rest));
        case "addPrefix" -> rules.add(new KeyRule.AddPrefix(rest));
        case "regex" -> {
          int arrow = rest.indexOf(ARROW);
          if (arrow < 0) {
            throw new InvalidInput(field, "a regex rule reads 'regex <pattern> => <replacement>'");
          }
          rules.add(
              new KeyRule.RegexRename(
                  rest.substring(0, arrow), rest.substring(arrow + ARROW.length())));
        }
        default ->
            throw new InvalidInput(
                field, "must start with stripPrefix, addPrefix or regex, was '" + type + "'");
      }
    }
    return rules;
  }

  static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    if (text != null) {
      for (String line : text.split("\\R")) {
        if (!line.isBlank()) {
          out.add(line.strip());
        }
      }
    }
    return out;
  }
}
