package dev.graft.plan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The target's module tree as far as its state-dict keys reveal it: every dotted prefix of a key is
 * a module, the last component a parameter or buffer of it. Children keep the order in which the
 * keys first name them, which is {@code _modules} order for a key list in {@code state_dict()}
 * order.
 *
 * <p>The tree is path-compressed: a run of modules that have no entries of their own and one child
 * each is one edge, labelled with its dotted components, so the tree has at most two nodes per key
 * and its labels hold at most the keys' characters, however deep the keys nest (a 1,024-byte key of
 * 512 components is 2 nodes, not 512 with prefixes of quadratic total length). The modules inside
 * an edge are still visited in their place, for the unexpected keys PyTorch reports at them.
 */
final class ModuleTree {

  /** A module with entries of its own or several children (or the root). */
  static final class Node {
    /** The dotted components from the parent node to this one; {@code ""} for the root. */
    private String label;

    private LinkedHashMap<String, Node> children;
    private Set<String> localNames;
    private List<String> localKeys;

    private Node(String label) {
      this.label = label;
    }

    /** The keys of this module's own entries, in key order. */
    List<String> localKeys() {
      return localKeys == null ? List.of() : localKeys;
    }

    private Node child(String firstComponent) {
      return children == null ? null : children.get(firstComponent);
    }

    private void putChild(String firstComponent, Node child) {
      if (children == null) {
        children = new LinkedHashMap<>();
      }
      children.put(firstComponent, child);
    }

    private boolean hasLocalName(String name) {
      return localNames != null && localNames.contains(name);
    }
  }

  private final Node root = new Node("");
  private final Set<String> keys = new HashSet<>();

  private ModuleTree() {}

  static ModuleTree of(List<TargetEntry> entries) {
    ModuleTree tree = new ModuleTree();
    for (TargetEntry e : entries) {
      if (tree.keys.add(e.key())) {
        tree.insert(e.key());
      }
    }
    return tree;
  }

  private void insert(String key) {
    Node node = root;
    int moduleEnd = key.lastIndexOf('.');
    int pos = 0;
    // The module path still to place is key[pos, moduleEnd).
    while (pos <= moduleEnd) {
      int dot = key.indexOf('.', pos);
      String first = key.substring(pos, dot);
      Node child = node.child(first);
      if (child == null) {
        child = new Node(key.substring(pos, moduleEnd));
        node.putChild(first, child);
        node = child;
        break;
      }
      int matched = commonComponents(child.label, key, pos, moduleEnd);
      if (matched < child.label.length()) {
        // The key leaves (or ends inside) this edge: the module where it does becomes a node.
        Node middle = new Node(child.label.substring(0, matched));
        child.label = child.label.substring(matched + 1);
        middle.putChild(firstComponent(child.label), child);
        node.putChild(first, middle); // same key: keeps its place among the children
        child = middle;
      }
      node = child;
      pos += matched + 1;
    }
    if (node.localNames == null) {
      node.localNames = new HashSet<>();
      node.localKeys = new ArrayList<>();
    }
    node.localNames.add(key.substring(moduleEnd + 1));
    node.localKeys.add(key);
  }

  /**
   * How many chars of {@code label} match {@code key[pos, end)} in whole components: the whole
   * label, or up to (not including) the dot after the last component both share. The first
   * component is known to match.
   */
  private static int commonComponents(String label, String key, int pos, int end) {
    int i = 0;
    int n = Math.min(label.length(), end - pos);
    while (i < n && label.charAt(i) == key.charAt(pos + i)) {
      i++;
    }
    boolean labelBoundary = i == label.length() || label.charAt(i) == '.';
    boolean keyBoundary = pos + i == end || key.charAt(pos + i) == '.';
    if (labelBoundary && keyBoundary) {
      return i;
    }
    return label.lastIndexOf('.', i - 1);
  }

  private static String firstComponent(String label) {
    int dot = label.indexOf('.');
    return dot < 0 ? label : label.substring(0, dot);
  }

  boolean hasKey(String key) {
    return keys.contains(key);
  }

  /** Modules with entries or several children, depth first, a module before its children. */
  List<Node> preorder() {
    List<Node> out = new ArrayList<>();
    Deque<Node> stack = new ArrayDeque<>();
    stack.push(root);
    while (!stack.isEmpty()) {
      Node node = stack.pop();
      out.add(node);
      if (node.children != null) {
        List<Node> children = new ArrayList<>(node.children.values());
        for (int i = children.size() - 1; i >= 0; i--) {
          stack.push(children.get(i));
        }
      }
    }
    return out;
  }

  /** The unexpected keys PyTorch reports at one module. */
  private static final class Found {
    String extraState;
    final List<String> keys = new ArrayList<>();
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
    // Per node: what its own module found (key -1) and what the modules inside its edge found
    // (key j for the module after label component j).
    Map<Node, TreeMap<Integer, Found>> found = new IdentityHashMap<>();
    for (String key : checkpointKeys) {
      if (!targetKeys.contains(key)) {
        walk(key, found);
      }
    }
    List<String> out = new ArrayList<>();
    for (Node node : preorder()) {
      TreeMap<Integer, Found> at = found.get(node);
      if (at == null) {
        continue;
      }
      // Edge modules come before the node itself; -1 (the node) sorts first, so take it last.
      for (Map.Entry<Integer, Found> f : at.entrySet()) {
        if (f.getKey() >= 0) {
          emit(f.getValue(), out);
        }
      }
      Found own = at.get(-1);
      if (own != null) {
        emit(own, out);
      }
    }
    return out;
  }

  private static void emit(Found f, List<String> out) {
    if (f.extraState != null) {
      out.add(f.extraState);
    }
    out.addAll(f.keys);
  }

  private static Found at(Map<Node, TreeMap<Integer, Found>> found, Node node, int module) {
    return found
        .computeIfAbsent(node, n -> new TreeMap<>())
        .computeIfAbsent(module, m -> new Found());
  }

  private void walk(String key, Map<Node, TreeMap<Integer, Found>> found) {
    Node node = root;
    int pos = 0;
    while (true) {
      int dot = key.indexOf('.', pos);
      String name = dot < 0 ? key.substring(pos) : key.substring(pos, dot);
      if (dot < 0 && name.equals("_extra_state")) {
        at(found, node, -1).extraState = key;
        return;
      }
      if (node.hasLocalName(name)) {
        return;
      }
      Node child = node.child(name);
      if (child == null) {
        at(found, node, -1).keys.add(key);
        return;
      }
      if (dot < 0) {
        return;
      }
      pos = dot + 1;
      // Through the modules inside the child's edge: none has entries, each has one child.
      String label = child.label;
      int labelPos = label.indexOf('.');
      int module = 0;
      while (labelPos >= 0) {
        int componentStart = labelPos + 1;
        int componentEnd = label.indexOf('.', componentStart);
        if (componentEnd < 0) {
          componentEnd = label.length();
        }
        int keyDot = key.indexOf('.', pos);
        int keyEnd = keyDot < 0 ? key.length() : keyDot;
        if (keyDot < 0 && key.startsWith("_extra_state", pos) && keyEnd - pos == 12) {
          at(found, child, module).extraState = key;
          return;
        }
        boolean same =
            keyEnd - pos == componentEnd - componentStart
                && key.regionMatches(pos, label, componentStart, keyEnd - pos);
        if (!same) {
          at(found, child, module).keys.add(key);
          return;
        }
        if (keyDot < 0) {
          return;
        }
        pos = keyDot + 1;
        labelPos = componentEnd < label.length() ? componentEnd : -1;
        module++;
      }
      node = child;
    }
  }
}
