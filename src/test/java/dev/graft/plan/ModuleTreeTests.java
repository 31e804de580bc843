package dev.graft.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.format.DType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The path-compressed module tree gives PyTorch's orders exactly as a tree with one node per module
 * does, and stays small however deep keys nest.
 */
class ModuleTreeTests {

  private static List<TargetEntry> entries(Collection<String> keys) {
    return keys.stream()
        .map(
            k ->
                new TargetEntry(k, DType.FLOAT32, List.of(), EntryKind.PARAMETER, true, true, null))
        .toList();
  }

  private static List<String> entryOrder(ModuleTree tree) {
    List<String> out = new ArrayList<>();
    tree.preorder().forEach(n -> out.addAll(n.localKeys()));
    return out;
  }

  @Test
  void shouldOrderEntriesAndUnexpectedKeysAsATreeWithOneNodePerModuleDoes() {
    Random random = new Random(11);
    String[] components = {"a", "b", "c", "", "0", "1", "weight", "_extra_state"};
    for (int round = 0; round < 3_000; round++) {
      Set<String> targetKeys = new LinkedHashSet<>();
      int n = 1 + random.nextInt(12);
      for (int i = 0; i < n; i++) {
        targetKeys.add(randomKey(random, components));
      }
      List<String> checkpointKeys = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        checkpointKeys.add(randomKey(random, components));
      }
      ModuleTree tree = ModuleTree.of(entries(targetKeys));
      Reference reference = Reference.of(List.copyOf(targetKeys));

      assertThat(entryOrder(tree)).as("entries of %s", targetKeys).isEqualTo(reference.order());
      assertThat(tree.unexpected(checkpointKeys, targetKeys))
          .as("unexpected %s against %s", checkpointKeys, targetKeys)
          .isEqualTo(reference.unexpected(checkpointKeys, targetKeys));
    }
  }

  private static String randomKey(Random random, String[] components) {
    int depth = 1 + random.nextInt(5);
    StringBuilder b = new StringBuilder();
    for (int d = 0; d < depth; d++) {
      if (d > 0) {
        b.append('.');
      }
      b.append(components[random.nextInt(d == depth - 1 ? components.length : 5)]);
    }
    return b.toString();
  }

  /**
   * 20,000 keys of 1,000 bytes, 500 modules deep, each under its own first module: a tree of a node
   * per module would hold ten million nodes and prefixes of quadratic length; this one holds two
   * nodes per key.
   */
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void shouldStaySmallForDeeplyNestedKeys() {
    String deep = "a.".repeat(495);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      keys.add("m" + i + "." + deep + "weight");
    }

    ModuleTree tree = ModuleTree.of(entries(keys));

    assertThat(tree.preorder()).hasSizeLessThanOrEqualTo(2 * keys.size() + 1);
    assertThat(entryOrder(tree)).isEqualTo(keys);
    assertThat(tree.unexpected(List.of("m7." + deep + "b", "m7." + deep + "a.x"), Set.of()))
        .containsExactly("m7." + deep + "b", "m7." + deep + "a.x");
  }

  /** The tree as it was: one node per module, with its prefix. */
  private static final class Reference {
    static final class Node {
      final LinkedHashMap<String, Node> children = new LinkedHashMap<>();
      final Set<String> localNames = new HashSet<>();
      final List<String> localKeys = new ArrayList<>();
      final List<String> unexpected = new ArrayList<>();
      String extraState;
    }

    final Node root = new Node();

    static Reference of(List<String> keys) {
      Reference r = new Reference();
      for (String key : keys) {
        Node node = r.root;
        int pos = 0;
        int dot;
        while ((dot = key.indexOf('.', pos)) >= 0) {
          node = node.children.computeIfAbsent(key.substring(pos, dot), k -> new Node());
          pos = dot + 1;
        }
        node.localNames.add(key.substring(pos));
        node.localKeys.add(key);
      }
      return r;
    }

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

    List<String> order() {
      List<String> out = new ArrayList<>();
      preorder().forEach(n -> out.addAll(n.localKeys));
      return out;
    }

    List<String> unexpected(Collection<String> checkpointKeys, Set<String> targetKeys) {
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
            node.extraState = key;
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
      for (Node node : preorder()) {
        if (node.extraState != null) {
          out.add(node.extraState);
        }
        out.addAll(node.unexpected);
      }
      return out;
    }
  }
}
