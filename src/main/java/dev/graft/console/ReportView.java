package dev.graft.console;

import dev.graft.plan.EntryStatus;
import dev.graft.plan.Report;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A report as the preview and run pages draw it: the module tree with each module's entries by
 * status and its numel loaded versus fresh, and the suggested key rules as form lines.
 */
public final class ReportView {

  /**
   * One module of the tree (a dotted key prefix), with its totals over its whole subtree.
   *
   * @param path the module's dotted path ({@code ""} for the model)
   * @param label the last component, as the tree shows it
   * @param depth how deep it sits
   * @param loaded entries {@code LOADED} in the subtree
   * @param initialized entries {@code INITIALIZED}
   * @param mismatched entries {@code SHAPE_MISMATCH}
   * @param loadedNumel elements taken from the checkpoint
   * @param numel elements in all
   * @param keys the module's own entries (not its children's)
   */
  public record Module(
      String path,
      String label,
      int depth,
      int loaded,
      int initialized,
      int mismatched,
      long loadedNumel,
      long numel,
      List<Report.Entry> keys) {

    /** The status the module is coloured by: one when all its entries agree, else mixed. */
    public String status() {
      int kinds = (loaded > 0 ? 1 : 0) + (initialized > 0 ? 1 : 0) + (mismatched > 0 ? 1 : 0);
      if (kinds != 1) {
        return mismatched > 0 ? "mismatched" : "mixed";
      }
      return loaded > 0 ? "loaded" : initialized > 0 ? "initialized" : "mismatched";
    }

    public int percentLoaded() {
      return numel == 0 ? 0 : (int) Math.round(100.0 * loadedNumel / numel);
    }
  }

  /** Modules shown at most; a model with more lists its deepest modules' keys in the table. */
  static final int MAX_MODULES = 2000;

  private ReportView() {}

  /** The tree in depth-first order, as the page lists it. */
  static List<Module> tree(Report report) {
    Map<String, long[]> totals = new LinkedHashMap<>();
    Map<String, List<Report.Entry>> own = new LinkedHashMap<>();
    totals.put("", new long[5]);
    own.put("", new ArrayList<>());
    for (Report.Entry e : report.entries()) {
      String key = e.targetKey();
      long numel = 1;
      for (Long d : e.shape()) {
        numel *= d;
      }
      boolean loaded = e.status() == EntryStatus.LOADED;
      String parent = "";
      add(totals.get(""), e.status(), numel, loaded);
      int from = 0;
      int dot;
      while ((dot = key.indexOf('.', from)) >= 0 && totals.size() < MAX_MODULES) {
        String path = key.substring(0, dot);
        totals.computeIfAbsent(path, p -> new long[5]);
        own.computeIfAbsent(path, p -> new ArrayList<>());
        add(totals.get(path), e.status(), numel, loaded);
        parent = path;
        from = dot + 1;
      }
      own.get(parent).add(e);
    }
    List<Module> out = new ArrayList<>();
    // Insertion order is first-mention order: a parent always comes before its children, and
    // keys in state_dict order keep siblings together.
    List<String> paths = new ArrayList<>(totals.keySet());
    List<String> ordered = new ArrayList<>();
    order("", paths, ordered);
    for (String path : ordered) {
      long[] t = totals.get(path);
      int depth = path.isEmpty() ? 0 : path.split("\\.").length;
      String label = path.isEmpty() ? "(model)" : path.substring(path.lastIndexOf('.') + 1);
      out.add(
          new Module(
              path,
              label,
              depth,
              (int) t[0],
              (int) t[1],
              (int) t[2],
              t[3],
              t[4],
              own.getOrDefault(path, List.of())));
    }
    return out;
  }

  private static void order(String parent, List<String> paths, List<String> out) {
    out.add(parent);
    String prefix = parent.isEmpty() ? "" : parent + ".";
    for (String p : paths) {
      if (!p.isEmpty()
          && p.startsWith(prefix)
          && p.indexOf('.', prefix.length()) < 0
          && !p.equals(parent)) {
        order(p, paths, out);
      }
    }
  }

  private static void add(long[] t, EntryStatus status, long numel, boolean loaded) {
    switch (status) {
      case LOADED -> t[0]++;
      case INITIALIZED -> t[1]++;
      case SHAPE_MISMATCH -> t[2]++;
    }
    if (loaded) {
      t[3] += numel;
    }
    t[4] += numel;
  }

  static int percent(double fraction) {
    return (int) Math.round(fraction * 100);
  }
}
