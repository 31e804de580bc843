package dev.graft.console;

import dev.graft.plan.EntryAction;
import dev.graft.plan.EntryStatus;
import dev.graft.plan.Report;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Two reports of the same checkpoint and architecture under two sets of options, side by side: the
 * totals of each, and the target entries whose treatment differs (where the value comes from, what
 * loading does with it, whether it is trained, its dtype). Both reports come from the preview
 * service; this only lines them up.
 *
 * @param measures the totals, pinned first
 * @param changes the entries that differ, in target order, at most {@value #MAX_CHANGES}
 * @param changed how many entries differ in all
 */
public record ReportComparison(List<Measure> measures, List<Change> changes, int changed) {

  /** Changed entries listed at most. */
  static final int MAX_CHANGES = 500;

  /**
   * A total under both sets of options.
   *
   * @param name what it counts, for the page
   * @param pinned under the pinned options
   * @param now under the options in the form
   */
  public record Measure(String name, String pinned, String now) {
    public boolean differs() {
      return !pinned.equals(now);
    }
  }

  /**
   * How one target entry is treated.
   *
   * @param status where its value comes from
   * @param action what executing the plan does; {@code null} when the plan fails
   * @param sourceKey the checkpoint key it takes, {@code null} for none
   * @param requiresGrad whether it is trained
   * @param dtype the dtype it ends up with
   */
  public record Treatment(
      EntryStatus status,
      EntryAction action,
      String sourceKey,
      boolean requiresGrad,
      String dtype) {
    static Treatment of(Report.Entry e) {
      return new Treatment(e.status(), e.action(), e.sourceKey(), e.requiresGrad(), e.dtype());
    }
  }

  /**
   * A target entry treated differently.
   *
   * @param key the target key
   * @param pinned under the pinned options
   * @param now under the options in the form
   */
  public record Change(String key, Treatment pinned, Treatment now) {
    public boolean statusChanged() {
      return pinned.status() != now.status();
    }

    public boolean actionChanged() {
      return pinned.action() != now.action();
    }
  }

  static ReportComparison of(Report pinned, Report now) {
    Report.Summary a = pinned.summary();
    Report.Summary b = now.summary();
    List<Measure> measures =
        List.of(
            new Measure("Outcome", pinned.outcome().name(), now.outcome().name()),
            count("Loaded entries", a.loaded(), b.loaded()),
            count("Freshly initialised entries", a.initialized(), b.initialized()),
            count("Shape-mismatched entries", a.shapeMismatched(), b.shapeMismatched()),
            count("Unused checkpoint tensors", a.unused(), b.unused()),
            count("Warm-started elements", a.loadedNumel(), b.loadedNumel()),
            count(
                "Trainable fresh elements",
                a.trainableInitializedNumel(),
                b.trainableInitializedNumel()),
            new Measure(
                "Coverage gates met",
                met(pinned) + " of " + pinned.coverage().size(),
                met(now) + " of " + now.coverage().size()));
    Map<String, Report.Entry> before = new HashMap<>();
    for (Report.Entry e : pinned.entries()) {
      before.put(e.targetKey(), e);
    }
    List<Change> changes = new ArrayList<>();
    int changed = 0;
    for (Report.Entry e : now.entries()) {
      Report.Entry old = before.get(e.targetKey());
      if (old == null) {
        continue;
      }
      Treatment t0 = Treatment.of(old);
      Treatment t1 = Treatment.of(e);
      if (!Objects.equals(t0, t1)) {
        changed++;
        if (changes.size() < MAX_CHANGES) {
          changes.add(new Change(e.targetKey(), t0, t1));
        }
      }
    }
    return new ReportComparison(measures, List.copyOf(changes), changed);
  }

  private static Measure count(String name, long pinned, long now) {
    return new Measure(
        name, String.format(Locale.ROOT, "%,d", pinned), String.format(Locale.ROOT, "%,d", now));
  }

  private static long met(Report r) {
    return r.coverage().stream().filter(Report.Coverage::met).count();
  }
}
