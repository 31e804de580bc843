package dev.graft.plan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The target's module tree as far as its state-dict keys reveal it: every dotted prefix of a key is
 * a module, the last component a parameter or buffer of it. Children keep the order in which the
 * keys first name them, which is {@code _modules} order for a key list in {@code state_dict()}
 * order.
 */
final class ModuleTree {

  static final class Node {
    final String prefix;
    final LinkedHashMap<String, Node> children = new LinkedHashMap<>();
    final Set<String> localNames = new HashSet<>();
    final List<String> localKeys = new ArrayList<>();
    final List<String> unexpected = new ArrayList<>();
    String unexpectedExtraState;

    Node(String prefix) {
      this.prefix = prefix;
    }
  }

  private final Node root = new Node("");
  private final Set<String> keys = new HashSet<>();

  private ModuleTree() {}

  static ModuleTree of(List<TargetEntry> entries) {
    ModuleTree tree = new ModuleTree();
    for (TargetEntry e : entries) {
      String key = e.key();
      if (!tree.keys.add(key)) {
        continue;
      }
      Node node = tree.root;
      int pos = 0;
      int dot;
      while ((dot = key.indexOf('.', pos)) >= 0) {
        String name = key.substring(pos, dot);
        Node parent = node;
        node = node.children.computeIfAbsent(name, k -> new Node(parent.prefix + k + "."));
        pos = dot + 1;
      }
      node.localNames.add(key.substring(pos));
      node.localKeys.add(key);
    }
    return tree;
  }

  boolean hasKey(String key) {
    return keys.contains(key);
  }

  /** Modules depth first, a module before its children, children in registration order. */
  List<Node> preorder() {
    List<Node> out = new ArrayList<>();
    Deque<Node> stack = new ArrayDeque<>();
    stack.push(root);
    while (!stack.isEmpty()) {
      Node node = stack.pop();
      out.add(node);
      List<Node> children = new ArrayList<>(node.children.values());
      for (int i = children.size() - 1; i >= 0; i--) {
        stack.push(children.get(i));
      }
    }
    return out;
  }

  /**
   * The checkpoint keys PyTorch reports unexpected, in its order: each module, depth first, reports
   * the keys under its prefix whose next component names neither a child module nor one of its own
   * entries ({@code PREFIX._extra_state} first, as a module without extra state reports that before
   * the rest), in checkpoint order. Keys under one of a module's own entries ({@code fc.weight.x})
   * and keys naming a module ({@code fc}) pass every module's check, so PyTorch ignores them, and
   * so does this.
   */
  List<String> unexpected(Collection<String> checkpointKeys, Set<String> targetKeys) {
    List<Node> order = preorder();
    for (Node node : order) {
      node.unexpected.clear();
      node.unexpectedExtraState = null;
    }
    for (String key : checkpointKeys) {
      if (targetKeys.contains(key)) {
        continue;
      }
      Node node = root;
      int pos = 0;
      while (true) {
        int dot = key.indexOf('.', pos);
        String name = dot < 0 ? key.substring(pos) : key.substring(pos, dot);
        if (dot < 0 && name.equals("_extra_state")) {
          node.unexpectedExtraState = key;
          break;
        }
        if (node.localNames.contains(name)) {
          break;
        }
        Node child = node.children.get(name);
        if (child == null) {
          node.unexpected.add(key);
          break;
        }
        if (dot < 0) {
          break;
        }
        node = child;
        pos = dot + 1;
      }
    }
    List<String> out = new ArrayList<>();
    for (Node node : order) {
      if (node.unexpectedExtraState != null) {
        out.add(node.unexpectedExtraState);
      }
      out.addAll(node.unexpected);
    }
    return out;
  }
}
