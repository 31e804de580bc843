package dev.graft.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Freeze patterns: {@code *} matches any run of characters, dots included; the rest is literal. */
final class Globs {

  private Globs() {}

  static List<Pattern> compile(List<String> globs) {
    List<Pattern> out = new ArrayList<>(globs.size());
    for (String glob : globs) {
      StringBuilder regex = new StringBuilder();
      int start = 0;
      int star;
      while ((star = glob.indexOf('*', start)) >= 0) {
        if (star > start) {
          regex.append(Pattern.quote(glob.substring(start, star)));
        }
        regex.append(".*");
        start = star + 1;
      }
      if (start < glob.length()) {
        regex.append(Pattern.quote(glob.substring(start)));
      }
      out.add(Pattern.compile(regex.toString(), Pattern.DOTALL));
    }
    return out;
  }

  static boolean matchesAny(List<Pattern> patterns, String key) {
    for (Pattern p : patterns) {
      if (p.matcher(key).matches()) {
        return true;
      }
    }
    return false;
  }
}
