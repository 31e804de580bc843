package dev.graft.console;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A checkpoint's tensors or an architecture's entries as the module tree their keys spell (keys
 * split on {@code .}), each module with the elements and tensors in its whole subtree, as the
 * checkpoint and architecture pages draw it.
 *
 * <p>A module's numbers cover the keys that start with its path and a dot: {@code layer1} counts
 * {@code layer1.0.conv1.weight}, never a tensor that is itself named {@code layer1}. A run of
 * modules with no tensors of their own and one child each is one node labelled with the dotted run
 * ({@code module.encoder}), as PyTorch's wrappers make common. What is drawn is bounded: at most
 * {@value #MAX_SHOWN} modules and tensors, handed out level by level so the top of a large model is
 * always there, and at most {@value #MAX_DEPTH} levels; what is left out is counted on its parent.
 */
public final class NumelTree {

  /** Modules and tensors drawn at most. */
  static final int MAX_SHOWN = 1500;

  /** Levels drawn at most. */
  static final int MAX_DEPTH = 24;

  /**
   * A module.
   *
   * @param path its dotted path ({@code ""} for the model)
   * @param label what the tree shows: the dotted components from its parent
   * @param numel elements in its subtree
   * @param tensors tensors in its subtree
   * @param children the child modules drawn, in the order the keys first name them
   * @param own its own tensors drawn
   * @param leftOut child modules and own tensors not drawn
   */
  public record Node(
      String path,
      String label,
      long numel,
      int tensors,
      List<Node> children,
      List<Leaf> own,
      int leftOut) {}

  /**
   * A tensor of a module.
   *
   * @param key its whole key
   * @param name the last component
   * @param numel its elements
   */
  public record Leaf(String key, String name, long numel) {}

  /** A key and its element count, whatever it comes from. */
  record Keyed(String key, long numel) {}

  private NumelTree() {}

  private static final class Builder {
    String path;
    String label;
    long numel;
    int tensors;
    final LinkedHashMap<String, Builder> children = new LinkedHashMap<>();
    final List<Leaf> own = new ArrayList<>();
    int depth;
    int shownChildren;
    int shownOwn;

    Builder(String path, String label) {
      this.path = path;
      this.label = label;
    }
  }

  /** The tree of these keys, in their order. */
  static Node of(List<Keyed> keys) {
    Builder root = new Builder("", "(model)");
    for (Keyed k : keys) {
      root.numel += k.numel();
      root.tensors++;
      Builder node = root;
      int from = 0;
      int dot;
      while ((dot = k.key().indexOf('.', from)) >= 0) {
        String component = k.key().substring(from, dot);
        String path = k.key().substring(0, dot);
        Builder parent = node;
        node = parent.children.computeIfAbsent(component, c -> new Builder(path, c));
        node.numel += k.numel();
        node.tensors++;
        from = dot + 1;
      }
      node.own.add(new Leaf(k.key(), k.key().substring(from), k.numel()));
    }
    for (Builder child : root.children.values()) {
      compress(child);
    }
    allot(root);
    return freeze(root);
  }

  /** Folds runs of single-child modules without tensors of their own into one node. */
  private static void compress(Builder start) {
    ArrayDeque<Builder> todo = new ArrayDeque<>();
    todo.push(start);
    while (!todo.isEmpty()) {
      Builder b = todo.pop();
      while (b.own.isEmpty() && b.children.size() == 1) {
        Builder only = b.children.values().iterator().next();
        b.label = b.label + "." + only.label;
        b.path = only.path;
        b.children.clear();
        b.children.putAll(only.children);
        b.own.addAll(only.own);
      }
      todo.addAll(b.children.values());
    }
  }

  /** Hands out what may be drawn, level by level. */
  private static void allot(Builder root) {
    int budget = MAX_SHOWN;
    ArrayDeque<Builder> level = new ArrayDeque<>();
    level.add(root);
    while (!level.isEmpty() && budget > 0) {
      Builder b = level.poll();
      if (b.depth >= MAX_DEPTH) {
        continue;
      }
      b.shownChildren = Math.min(b.children.size(), budget);
      budget -= b.shownChildren;
      b.shownOwn = Math.min(b.own.size(), budget);
      budget -= b.shownOwn;
      int i = 0;
      for (Builder c : b.children.values()) {
        if (i++ >= b.shownChildren) {
          break;
        }
        c.depth = b.depth + 1;
        level.add(c);
      }
    }
  }

  private static Node freeze(Builder b) {
    List<Node> children = new ArrayList<>(b.shownChildren);
    int i = 0;
    for (Builder c : b.children.values()) {
      if (i++ >= b.shownChildren) {
        break;
      }
      children.add(freeze(c));
    }
    int leftOut = b.children.size() - b.shownChildren + b.own.size() - b.shownOwn;
    return new Node(
        b.path,
        b.label,
        b.numel,
        b.tensors,
        List.copyOf(children),
        List.copyOf(b.own.subList(0, b.shownOwn)),
        leftOut);
  }
}
