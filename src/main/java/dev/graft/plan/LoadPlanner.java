package dev.graft.plan;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Matches a target architecture against a checkpoint index under load options: the single source of
 * load semantics, for previews and for runs.
 *
 * <p>With {@link LoadOptions#defaults()} (and {@code strict} either way) the report reproduces
 * {@code model.load_state_dict(state_dict, strict=...)} of torch 1.13: the same outcome, the same
 * {@code missing_keys} and {@code unexpected_keys} in the same order, and the same error text.
 *
 * <p>PyTorch walks the model's module tree; here the tree is inferred from the target's keys (every
 * dotted prefix of a key is a module). A module without parameters or persistent buffers (a {@code
 * ReLU}, an empty {@code Sequential}) is invisible in a state dict, so a checkpoint key under such
 * a module is still reported unexpected, but at its nearest visible ancestor, which can move it
 * earlier in {@code unexpectedKeys}; and a checkpoint key naming such a module exactly ({@code
 * "act"}), which PyTorch ignores, is reported unexpected. Modules registered as {@code None} are
 * not modelled either.
 *
 * <p>Everything is linear in the number of keys and their lengths (hash lookups, no pairwise
 * comparison, regular expressions on RE2/J, globs without backtracking), so 10,000 entries against
 * 10,000 tensors take milliseconds. Because keys and patterns both come from clients, the pattern
 * work of one plan (key rules, freeze patterns, rule suggestions) is also bounded in time: past
 * {@link #DEFAULT_PATTERN_TIME} the plan is refused (suggestions are cut short instead).
 */
public final class LoadPlanner {

  private static final String BN_COUNTER = "num_batches_tracked";
  private static final String EXTRA_STATE = "_extra_state";

  /** How long the pattern work of one plan may take by default. */
  public static final Duration DEFAULT_PATTERN_TIME = Duration.ofSeconds(5);

  private LoadPlanner() {}

  /**
   * Plans loading {@code checkpoint} into {@code target}.
   *
   * @param checkpoint the checkpoint's tensor index
   * @param target the architecture to fill
   * @param options how to load
   * @return the report; a load PyTorch would refuse gives outcome {@link Outcome#FAILED}, not an
   *     exception
   * @throws LoadOptionsRejected when a key rule would make a key longer than {@link
   *     LoadOptions#MAX_KEY_BYTES}, or the rules and freeze patterns take longer than {@link
   *     #DEFAULT_PATTERN_TIME} on these keys
   */
  public static Report plan(
      CheckpointIndex checkpoint, TargetArchitecture target, LoadOptions options) {
    return plan(checkpoint, target, options, DEFAULT_PATTERN_TIME);
  }

  /**
   * Plans loading {@code checkpoint} into {@code target}, the pattern work bounded by {@code
   * patternTime}.
   *
   * @param patternTime how long applying key rules, matching freeze patterns and trying suggested
   *     rules may take together
   * @throws LoadOptionsRejected when a key rule would make a key longer than {@link
   *     LoadOptions#MAX_KEY_BYTES} (field {@code keyRules[i]}), or the rules or the freeze patterns
   *     take longer than {@code patternTime} (field {@code keyRules} or {@code freeze})
   * @see #plan(CheckpointIndex, TargetArchitecture, LoadOptions)
   */
  public static Report plan(
      CheckpointIndex checkpoint,
      TargetArchitecture target,
      LoadOptions options,
      Duration patternTime) {
    return plan(List.of(PlanSource.of(checkpoint)), target, options, patternTime);
  }

  /**
   * Plans loading several checkpoints into {@code target}: each source's keys are rewritten by the
   * options' key rules, then by its own, then filtered by its globs; a target key is taken from the
   * first source (in list order) that offers it. Missing and unexpected keys, {@code strict} and
   * the policies are those of PyTorch loading the merged state dict (first source wins per key, in
   * source order). One source without rules or globs plans exactly as {@link #plan(CheckpointIndex,
   * TargetArchitecture, LoadOptions)}.
   *
   * @throws SourcesRejected when a source's rules or globs are invalid, or its globs leave it
   *     nothing to offer (field {@code sources[i]...})
   * @throws LoadOptionsRejected as {@link #plan(CheckpointIndex, TargetArchitecture, LoadOptions,
   *     Duration)}
   */
  public static Report plan(
      List<PlanSource> sources, TargetArchitecture target, LoadOptions options) {
    return plan(sources, target, options, DEFAULT_PATTERN_TIME);
  }

  /**
   * Plans loading several checkpoints into {@code target}, the pattern work bounded by {@code
   * patternTime}.
   *
   * @see #plan(List, TargetArchitecture, LoadOptions)
   */
  public static Report plan(
      List<PlanSource> sources,
      TargetArchitecture target,
      LoadOptions options,
      Duration patternTime) {
    if (sources.isEmpty()) {
      throw new SourcesRejected("sources", "must name at least one checkpoint");
    }
    Deadline deadline = Deadline.after(patternTime);
    Rewritten source = Rewritten.of(sources, KeyRules.compileAll(options.keyRules()), deadline);
    ModuleTree tree = ModuleTree.of(target.entries());
    Globs frozen = Globs.compile(options.freeze());

    int n = target.entries().size();
    EntryStatus[] status = new EntryStatus[n];
    EntryAction[] action = new EntryAction[n];
    TensorInfo[] from = new TensorInfo[n];
    long[] loadedNumel = new long[n];
    int[] fromSource = new int[n];
    boolean failedOnShape = false;
    List<Set<String>> used = new ArrayList<>(sources.size());
    for (int s = 0; s < sources.size(); s++) {
      used.add(new HashSet<>());
    }
    Map<String, Integer> indexOfKey = new HashMap<>(n * 2);

    for (int i = 0; i < n; i++) {
      TargetEntry e = target.entries().get(i);
      indexOfKey.putIfAbsent(e.key(), i);
      TensorInfo t = source.tensors.get(e.key());
      from[i] = t;
      fromSource[i] = t == null ? -1 : source.sourceOf.get(e.key());
      if (t == null) {
        status[i] = EntryStatus.INITIALIZED;
        action[i] =
            isDefaultedCounter(e, tree, source) ? EntryAction.DEFAULTED : EntryAction.INITIALIZED;
        continue;
      }
      used.get(fromSource[i]).add(t.key());
      if (loadsAsIs(t.shape(), e.shape())) {
        status[i] = EntryStatus.LOADED;
        action[i] =
            options.dtype() == DtypePolicy.TARGET && t.dtype() != e.dtype()
                ? EntryAction.CAST
                : EntryAction.COPIED;
        loadedNumel[i] = e.numel();
        continue;
      }
      status[i] = EntryStatus.SHAPE_MISMATCH;
      switch (options.onShapeMismatch()) {
        case FAIL -> failedOnShape = true;
        case SKIP -> action[i] = EntryAction.SKIPPED;
        case COPY_OVERLAP -> {
          if (t.shape().size() == e.shape().size()) {
            action[i] = EntryAction.COPIED_OVERLAP;
            loadedNumel[i] = Shapes.overlapNumel(t.shape(), e.shape());
          } else {
            action[i] = EntryAction.SKIPPED;
          }
        }
      }
    }

    // PyTorch's order: modules depth first, each module's own entries before its children's.
    List<String> missing = new ArrayList<>();
    List<String> sizeErrors = new ArrayList<>();
    for (ModuleTree.Node node : tree.preorder()) {
      for (String key : node.localKeys()) {
        int i = indexOfKey.get(key);
        if (action[i] == EntryAction.INITIALIZED) {
          missing.add(key);
        } else if (status[i] == EntryStatus.SHAPE_MISMATCH
            && options.onShapeMismatch() == ShapeMismatchPolicy.FAIL) {
          TargetEntry e = target.entries().get(i);
          sizeErrors.add(
              "size mismatch for "
                  + key
                  + ": copying a param with shape "
                  + Shapes.torchSize(from[i].shape())
                  + " from checkpoint, the shape in current model is "
                  + Shapes.torchSize(e.shape())
                  + ".");
        }
      }
    }
    List<String> unexpected = tree.unexpected(source.tensors.keySet(), indexOfKey.keySet());

    List<String> errors = new ArrayList<>();
    if (options.strict() && !missing.isEmpty()) {
      errors.add("Missing key(s) in state_dict: " + quoteAll(missing) + ". ");
    }
    if (options.strict() && !unexpected.isEmpty()) {
      errors.add("Unexpected key(s) in state_dict: " + quoteAll(unexpected) + ". ");
    }
    errors.addAll(sizeErrors);
    boolean torchFailed = !errors.isEmpty() || failedOnShape;
    List<Report.Coverage> coverage = coverage(options.require(), target, loadedNumel);
    List<String> unmet = new ArrayList<>();
    for (Report.Coverage c : coverage) {
      if (!c.met()) {
        unmet.add(unmetText(c));
      }
    }
    boolean failed = torchFailed || !unmet.isEmpty();
    String error = null;
    if (torchFailed) {
      error =
          "Error(s) in loading state_dict for "
              + target.name()
              + ":\n\t"
              + String.join("\n\t", errors);
    }
    if (!unmet.isEmpty()) {
      String gates =
          "Coverage requirement(s) not met for "
              + target.name()
              + ":\n\t"
              + String.join("\n\t", unmet);
      error = error == null ? gates : error + "\n" + gates;
    }

    List<Report.Entry> entries = new ArrayList<>(n);
    List<Report.MismatchedKey> mismatched = new ArrayList<>();
    int loaded = 0;
    int initialized = 0;
    int shapeMismatched = 0;
    long targetNumel = 0;
    long loadedTotal = 0;
    long trainableInitialized = 0;
    for (int i = 0; i < n; i++) {
      TargetEntry e = target.entries().get(i);
      TensorInfo t = from[i];
      boolean requiresGrad = e.requiresGrad();
      if (requiresGrad && !frozen.isEmpty()) {
        if (deadline.passed()) {
          throw deadline.exceeded("freeze", "matching the freeze patterns against " + n + " keys");
        }
        requiresGrad = !frozen.matchesAny(e.key());
      }
      EntryAction a = failed ? null : action[i];
      DType outDtype =
          options.dtype() == DtypePolicy.CHECKPOINT
                  && (action[i] == EntryAction.COPIED || action[i] == EntryAction.COPIED_OVERLAP)
              ? t.dtype()
              : e.dtype();
      entries.add(
          new Report.Entry(
              e.key(),
              t == null ? null : t.key(),
              t == null ? null : fromSource[i],
              status[i],
              a,
              e.kind(),
              requiresGrad,
              outDtype.torchName(),
              e.shape(),
              t == null ? null : t.dtype().torchName(),
              t == null ? null : t.shape()));
      switch (status[i]) {
        case LOADED -> loaded++;
        case INITIALIZED -> initialized++;
        case SHAPE_MISMATCH -> {
          shapeMismatched++;
          mismatched.add(new Report.MismatchedKey(e.key(), t.shape(), e.shape(), a));
        }
      }
      long numel = e.numel();
      targetNumel += numel;
      loadedTotal += loadedNumel[i];
      if (requiresGrad) {
        trainableInitialized += numel - loadedNumel[i];
      }
    }

    List<Report.Unused> unused = new ArrayList<>();
    for (int s = 0; s < sources.size(); s++) {
      for (TensorInfo t : sources.get(s).checkpoint().tensors()) {
        if (!used.get(s).contains(t.key())) {
          unused.add(new Report.Unused(t.key(), t.dtype().torchName(), t.shape(), s));
        }
      }
    }

    Report.Summary summary =
        new Report.Summary(
            n,
            loaded,
            initialized,
            shapeMismatched,
            unused.size(),
            targetNumel,
            loadedTotal,
            targetNumel - loadedTotal,
            trainableInitialized,
            targetNumel == 0 ? 0.0 : (double) loadedTotal / targetNumel);
    List<Report.SuggestedKeyRule> suggestions =
        unused.isEmpty() || loaded == n
            ? List.of()
            : KeyRuleSuggester.suggest(source, target, loaded, deadline);
    return new Report(
        options.strict(),
        failed ? Outcome.FAILED : Outcome.OK,
        summary,
        missing,
        unexpected,
        mismatched,
        entries,
        unused,
        suggestions,
        coverage,
        error);
  }

  /** Each gate measured over the entries under its prefix. */
  private static List<Report.Coverage> coverage(
      List<CoverageGate> gates, TargetArchitecture target, long[] loadedNumel) {
    List<Report.Coverage> out = new ArrayList<>(gates.size());
    for (CoverageGate g : gates) {
      long targetNumel = 0;
      long loaded = 0;
      int keys = 0;
      for (int i = 0; i < loadedNumel.length; i++) {
        TargetEntry e = target.entries().get(i);
        if (e.key().startsWith(g.prefix())) {
          keys++;
          targetNumel += e.numel();
          loaded += loadedNumel[i];
        }
      }
      double fraction = targetNumel == 0 ? (keys > 0 ? 1.0 : 0.0) : (double) loaded / targetNumel;
      // A prefix no key starts with is a typo, never a gate that passes.
      boolean met = keys > 0 && fraction >= g.minLoadedFraction();
      out.add(
          new Report.Coverage(
              g.prefix(), g.minLoadedFraction(), keys, targetNumel, loaded, fraction, met));
    }
    return out;
  }

  private static String unmetText(Report.Coverage c) {
    if (c.targetKeys() == 0) {
      return "coverage gate '"
          + c.prefix()
          + "' matches no target key (required loaded fraction "
          + c.minLoadedFraction()
          + ", loaded fraction "
          + c.loadedFraction()
          + ")";
    }
    return "coverage gate '"
        + c.prefix()
        + "': loaded fraction "
        + c.loadedFraction()
        + " ("
        + c.loadedNumel()
        + " of "
        + c.targetNumel()
        + " elements) is below the required "
        + c.minLoadedFraction();
  }

  /**
   * Whether a checkpoint tensor of shape {@code source} loads into an entry of shape {@code target}
   * without a mismatch: equal shapes, or PyTorch's allowance for 0.3-era checkpoints, a 1-dim
   * tensor into a 0-dim entry (its first element is taken). A 1-dim tensor of size 0 has no first
   * element, and counts as a mismatch.
   */
  static boolean loadsAsIs(List<Long> source, List<Long> target) {
    if (source.equals(target)) {
      return true;
    }
    return target.isEmpty() && source.size() == 1 && source.get(0) > 0;
  }

  /**
   * BatchNorm's hook: a checkpoint from before {@code num_batches_tracked} (its {@code _metadata}
   * gives the module no version, or one below 2) gets the counter filled with 0 instead of
   * reporting it.
   */
  private static boolean isDefaultedCounter(TargetEntry e, ModuleTree tree, Rewritten source) {
    String key = e.key();
    if (!key.equals(BN_COUNTER) && !key.endsWith("." + BN_COUNTER)) {
      return false;
    }
    if (e.dtype() != DType.INT64 || !e.shape().isEmpty() || e.kind() == EntryKind.PARAMETER) {
      return false;
    }
    String prefix = key.substring(0, key.length() - BN_COUNTER.length());
    if (!tree.hasKey(prefix + "running_mean") || !tree.hasKey(prefix + "running_var")) {
      return false;
    }
    String module = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    Long version = source.moduleVersions.get(module);
    return version == null || version < 2;
  }

  private static String quoteAll(List<String> keys) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append('"').append(keys.get(i)).append('"');
    }
    return b.toString();
  }

  /**
   * The checkpoints as the target sees them: each source's keys and {@code _metadata} after the key
   * rules, filtered by its globs, merged with the first source winning a key.
   */
  static final class Rewritten {
    /** Rewritten key to tensor, in merged order; within a source a later tensor wins a key. */
    final LinkedHashMap<String, TensorInfo> tensors;

    /** Rewritten key to the index of the source its tensor comes from. */
    final Map<String, Integer> sourceOf;

    final Map<String, Long> moduleVersions;

    private Rewritten(
        LinkedHashMap<String, TensorInfo> tensors,
        Map<String, Integer> sourceOf,
        Map<String, Long> moduleVersions) {
      this.tensors = tensors;
      this.sourceOf = sourceOf;
      this.moduleVersions = moduleVersions;
    }

    static Rewritten of(
        CheckpointIndex checkpoint, List<KeyRules.Compiled> rules, Deadline deadline) {
      return of(List.of(PlanSource.of(checkpoint)), rules, deadline);
    }

    static Rewritten of(
        List<PlanSource> sources, List<KeyRules.Compiled> optionRules, Deadline deadline) {
      LinkedHashMap<String, TensorInfo> merged = new LinkedHashMap<>();
      Map<String, Integer> sourceOf = new HashMap<>();
      Map<String, Long> versions = new HashMap<>();
      for (int s = 0; s < sources.size(); s++) {
        PlanSource source = sources.get(s);
        String field = "sources[" + s + "]";
        List<KeyRules.Compiled> rules = new ArrayList<>(optionRules);
        Globs include;
        Globs exclude;
        try {
          rules.addAll(KeyRules.compileAll(source.keyRules()));
          include = Globs.compile("include", source.include());
          exclude = Globs.compile("exclude", source.exclude());
        } catch (LoadOptionsRejected e) {
          throw SourcesRejected.under(field, e);
        }
        CheckpointIndex checkpoint = source.checkpoint();
        LinkedHashMap<String, TensorInfo> tensors =
            new LinkedHashMap<>(checkpoint.tensors().size() * 2);
        for (TensorInfo t : checkpoint.tensors()) {
          String key = t.key();
          for (int r = 0; r < rules.size(); r++) {
            key = apply(rules, r, optionRules.size(), field, key, false, deadline, checkpoint);
          }
          // Like a Python dict: the key keeps its first position, the later value wins.
          tensors.put(key, t);
        }
        boolean filtered = !include.isEmpty() || !exclude.isEmpty();
        int offered = 0;
        for (Map.Entry<String, TensorInfo> t : tensors.entrySet()) {
          if (filtered) {
            if (deadline.passed()) {
              throw SourcesRejected.under(
                  field,
                  deadline.exceeded(
                      "include", "matching the globs against " + tensors.size() + " keys"));
            }
            if (!include.isEmpty() && !include.matchesAny(t.getKey())
                || exclude.matchesAny(t.getKey())) {
              continue;
            }
          }
          offered++;
          if (merged.putIfAbsent(t.getKey(), t.getValue()) == null) {
            sourceOf.put(t.getKey(), s);
          }
        }
        if (filtered && offered == 0) {
          throw new SourcesRejected(
              field,
              "offers no tensor: none of its "
                  + tensors.size()
                  + " keys (after key rules) matches include "
                  + source.include()
                  + " without matching exclude "
                  + source.exclude());
        }
        for (Map.Entry<String, Long> v :
            moduleVersions(checkpoint, rules, optionRules.size(), field, deadline).entrySet()) {
          versions.putIfAbsent(v.getKey(), v.getValue());
        }
      }
      return new Rewritten(merged, sourceOf, versions);
    }

    private static Map<String, Long> moduleVersions(
        CheckpointIndex checkpoint,
        List<KeyRules.Compiled> rules,
        int optionRules,
        String field,
        Deadline deadline) {
      Map<String, Long> versions =
          checkpoint.moduleVersions() == null ? Map.of() : checkpoint.moduleVersions();
      if (!rules.isEmpty() && !versions.isEmpty()) {
        Map<String, Long> kept = new HashMap<>();
        Map<String, Long> renamed = new HashMap<>();
        for (Map.Entry<String, Long> v : versions.entrySet()) {
          String module = v.getKey();
          for (int r = 0; r < rules.size(); r++) {
            module = apply(rules, r, optionRules, field, module, true, deadline, checkpoint);
          }
          (module.equals(v.getKey()) ? kept : renamed).put(module, v.getValue());
        }
        // As in consume_prefix_in_state_dict_if_present, a renamed module overwrites one left
        // alone.
        kept.putAll(renamed);
        versions = kept;
      }
      return versions;
    }

    /**
     * Applies rule {@code r}: the first {@code optionRules} are the options' rules (errors name
     * {@code keyRules[r]} in the options), the rest the source's own (errors name {@code
     * sources[s].keyRules[r]} in the body).
     */
    private static String apply(
        List<KeyRules.Compiled> rules,
        int r,
        int optionRules,
        String sourceField,
        String key,
        boolean module,
        Deadline deadline,
        CheckpointIndex checkpoint) {
      if (deadline.passed()) {
        LoadOptionsRejected e =
            deadline.exceeded(
                "keyRules", "applying the key rules to " + checkpoint.tensors().size() + " keys");
        throw r < optionRules ? e : SourcesRejected.under(sourceField, e);
      }
      try {
        return module ? rules.get(r).applyToModule(key) : rules.get(r).apply(key);
      } catch (LoadOptionsRejected e) {
        throw r < optionRules
            ? e.under("keyRules[" + r + "]")
            : SourcesRejected.under(sourceField, e.under("keyRules[" + (r - optionRules) + "]"));
      }
    }
  }
}
