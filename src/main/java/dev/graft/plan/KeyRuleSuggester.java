package dev.graft.plan;

import dev.graft.format.TensorInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Proposes key rules that would load more entries. Candidates come from the unmatched keys on both
 * sides (wrapper prefixes such as {@code module.}, a prefix all unmatched checkpoint keys share, a
 * prefix the unmatched target keys share, a swap of one first component for another, {@code
 * layer1.} against {@code layers.1.}); each candidate is appended to the options' rules and kept
 * only if re-running the match loads more entries.
 *
 * <p>Each candidate costs one pass over the keys, and there are at most {@value #MAX_CANDIDATES}; a
 * candidate that is not a valid rule (a word too long to make a pattern of) or that would grow a
 * key past the limit is dropped, and when the plan's pattern time runs out the candidates not yet
 * tried are dropped: suggestions are advice, never a reason to refuse a plan.
 */
final class KeyRuleSuggester {

  private static final List<String> WRAPPERS =
      List.of("module.", "model.", "_orig_mod.", "backbone.", "encoder.", "net.", "state_dict.");
  private static final int MAX_CANDIDATES = 24;

  private KeyRuleSuggester() {}

  static List<Report.SuggestedKeyRule> suggest(
      LoadPlanner.Rewritten source, TargetArchitecture target, int baseline, Deadline deadline) {
    Set<String> targetKeys = new java.util.HashSet<>();
    for (TargetEntry e : target.entries()) {
      targetKeys.add(e.key());
    }
    List<String> unusedKeys = new ArrayList<>();
    for (String key : source.tensors.keySet()) {
      if (!targetKeys.contains(key)) {
        unusedKeys.add(key);
      }
    }
    List<String> unloadedTargets = new ArrayList<>();
    for (TargetEntry e : target.entries()) {
      TensorInfo t = source.tensors.get(e.key());
      if (t == null || !LoadPlanner.loadsAsIs(t.shape(), e.shape())) {
        unloadedTargets.add(e.key());
      }
    }
    if (unusedKeys.isEmpty() || unloadedTargets.isEmpty()) {
      return List.of();
    }

    Set<KeyRule> candidates = new LinkedHashSet<>();
    for (String w : WRAPPERS) {
      if (anyStartsWith(unusedKeys, w)) {
        candidates.add(new KeyRule.StripPrefix(w));
      }
    }
    String common = commonDottedPrefix(unusedKeys);
    if (!common.isEmpty()) {
      candidates.add(new KeyRule.StripPrefix(common));
    }
    String unusedFirst = mostFrequentFirst(unusedKeys);
    if (unusedFirst != null) {
      candidates.add(new KeyRule.StripPrefix(unusedFirst + "."));
    }
    String targetCommon = commonDottedPrefix(unloadedTargets);
    if (!targetCommon.isEmpty()) {
      candidates.add(new KeyRule.AddPrefix(targetCommon));
    }
    String targetFirst = mostFrequentFirst(unloadedTargets);
    if (targetFirst != null) {
      candidates.add(new KeyRule.AddPrefix(targetFirst + "."));
      if (unusedFirst != null && !unusedFirst.equals(targetFirst)) {
        candidates.add(
            new KeyRule.RegexRename("^" + escape(unusedFirst) + "\\.", targetFirst + "."));
      }
    }
    addNumberedRenames(unusedKeys, unloadedTargets, candidates);

    List<Report.SuggestedKeyRule> out = new ArrayList<>();
    int tried = 0;
    for (KeyRule candidate : candidates) {
      if (tried++ >= MAX_CANDIDATES) {
        break;
      }
      KeyRules.Compiled compiled;
      try {
        compiled = KeyRules.compile(candidate);
      } catch (LoadOptionsRejected invalid) {
        continue;
      }
      int gain = countLoaded(source, target, compiled, deadline) - baseline;
      if (gain > 0) {
        out.add(new Report.SuggestedKeyRule(candidate, gain));
      }
    }
    out.sort(Comparator.comparingInt(Report.SuggestedKeyRule::gain).reversed());
    return out;
  }

  /**
   * {@code layer1.x} against {@code layers.1.x} (and back): one rename per word pair seen first.
   */
  private static void addNumberedRenames(
      List<String> unused, List<String> targets, Set<KeyRule> out) {
    String fromWord = null;
    for (String key : unused) {
      fromWord = wordBeforeNumber(first(key));
      if (fromWord != null) {
        break;
      }
    }
    String toWord = null;
    for (String key : targets) {
      String[] parts = key.split("\\.", 3);
      if (parts.length >= 3
          && parts[1].chars().allMatch(Character::isDigit)
          && !parts[1].isEmpty()) {
        toWord = parts[0];
        break;
      }
    }
    if (fromWord != null && toWord != null) {
      out.add(new KeyRule.RegexRename("^" + escape(fromWord) + "(\\d+)\\.", toWord + ".$1."));
    }
    String splitWord = null;
    for (String key : unused) {
      String[] parts = key.split("\\.", 3);
      if (parts.length >= 3
          && parts[1].chars().allMatch(Character::isDigit)
          && !parts[1].isEmpty()) {
        splitWord = parts[0];
        break;
      }
    }
    String joinedWord = null;
    for (String key : targets) {
      joinedWord = wordBeforeNumber(first(key));
      if (joinedWord != null) {
        break;
      }
    }
    if (splitWord != null && joinedWord != null) {
      out.add(
          new KeyRule.RegexRename("^" + escape(splitWord) + "\\.(\\d+)\\.", joinedWord + "$1."));
    }
  }

  /**
   * {@code layer} for {@code layer12}: the letters and underscores of a component made of letters
   * and underscores followed by ASCII digits, or {@code null}.
   */
  static String wordBeforeNumber(String component) {
    int i = 0;
    while (i < component.length()) {
      char c = component.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')) {
        break;
      }
      i++;
    }
    if (i == 0 || i == component.length()) {
      return null;
    }
    for (int j = i; j < component.length(); j++) {
      char c = component.charAt(j);
      if (c < '0' || c > '9') {
        return null;
      }
    }
    return component.substring(0, i);
  }

  /**
   * Entries that would load with {@code extra} applied after the rules {@code source} went through;
   * 0 when {@code extra} would grow a key past the limit or the deadline passes.
   */
  static int countLoaded(
      LoadPlanner.Rewritten source,
      TargetArchitecture target,
      KeyRules.Compiled extra,
      Deadline deadline) {
    Map<String, TensorInfo> rewritten = new HashMap<>(source.tensors.size() * 2);
    for (Map.Entry<String, TensorInfo> t : source.tensors.entrySet()) {
      if (deadline.passed()) {
        return 0;
      }
      try {
        rewritten.put(extra.apply(t.getKey()), t.getValue());
      } catch (LoadOptionsRejected tooLong) {
        return 0;
      }
    }
    int loaded = 0;
    for (TargetEntry e : target.entries()) {
      TensorInfo t = rewritten.get(e.key());
      if (t != null && LoadPlanner.loadsAsIs(t.shape(), e.shape())) {
        loaded++;
      }
    }
    return loaded;
  }

  private static boolean anyStartsWith(List<String> keys, String prefix) {
    for (String k : keys) {
      if (k.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static String first(String key) {
    int dot = key.indexOf('.');
    return dot < 0 ? key : key.substring(0, dot);
  }

  private static String mostFrequentFirst(List<String> keys) {
    Map<String, Integer> counts = new HashMap<>();
    String best = null;
    int bestCount = 0;
    for (String k : keys) {
      int dot = k.indexOf('.');
      if (dot <= 0) {
        continue;
      }
      String f = k.substring(0, dot);
      int c = counts.merge(f, 1, Integer::sum);
      if (c > bestCount) {
        best = f;
        bestCount = c;
      }
    }
    return best;
  }

  /** The longest run of whole dotted components, ending with a dot, that every key starts with. */
  private static String commonDottedPrefix(List<String> keys) {
    String prefix = keys.get(0);
    for (String k : keys) {
      int n = Math.min(prefix.length(), k.length());
      int i = 0;
      while (i < n && prefix.charAt(i) == k.charAt(i)) {
        i++;
      }
      prefix = prefix.substring(0, i);
      if (prefix.isEmpty()) {
        return "";
      }
    }
    int dot = prefix.lastIndexOf('.');
    return dot < 0 ? "" : prefix.substring(0, dot + 1);
  }

  private static String escape(String literal) {
    StringBuilder b = new StringBuilder();
    for (char c : literal.toCharArray()) {
      if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }
}
