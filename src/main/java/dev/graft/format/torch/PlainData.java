package dev.graft.format.torch;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.internal.MetadataBudget;
import dev.graft.format.internal.ParseBudget;
import dev.graft.format.pickle.PickleDict;
import dev.graft.format.pickle.PickleTuple;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts pickled values to plain JSON-like data for a checkpoint's metadata, within one budget of
 * rendered JSON characters and values for all entries together.
 *
 * <p>Plain data is strings, numbers, booleans, None, lists, tuples and string-keyed dicts of such;
 * tuples become lists and dicts become ordered maps. A value is not plain, and its entry is left
 * out, when any part of it is something else, nests deeper than {@link ReadLimits#maxDepth()},
 * refers to itself, holds a string (value or key) with U+0000 (PostgreSQL stores no NUL) or an
 * integer of more than {@value #MAX_INTEGER_BITS} bits (JSON readers such as Jackson refuse numbers
 * of over 1,000 digits).
 *
 * <p>Pickles share objects, so a small pickle can describe a value whose JSON rendering is huge (a
 * list holding one list many times, n levels deep, renders 2^n copies). Values are therefore
 * measured as the DAG they are, each object once, and an entry whose rendering would take the
 * metadata past {@link ReadLimits#maxMetadataChars()} characters or {@link
 * ReadLimits#maxMetadataNodes()} values is left out, never rendered. Converted values share their
 * converted parts the way the pickle shared them, so memory follows the pickle, not the rendering.
 */
final class PlainData {

  /** Returned by {@link #admit} for a value that is left out. */
  static final Object NOT_PLAIN = new Object();

  /** Integers wider than this are left out; 3,000 bits are 904 decimal digits. */
  static final int MAX_INTEGER_BITS = 3000;

  private static final Measure LEFT_OUT = new Measure(false, 0, 0, 0);

  /** What a value costs to render, or that it is not plain. */
  private record Measure(boolean plain, long chars, long nodes, int height) {}

  private final int maxDepth;
  private final ParseBudget budget;
  private final MetadataBudget metadata;
  private final Map<Object, Measure> measured = new IdentityHashMap<>();
  private final Map<Object, Object> converted = new IdentityHashMap<>();

  /**
   * A renderer for one checkpoint's metadata.
   *
   * @param limits supplies the depth and the metadata budget
   * @param budget the parse's work budget, charged per value visited
   */
  PlainData(ReadLimits limits, ParseBudget budget) {
    this.maxDepth = limits.maxDepth();
    this.budget = budget;
    this.metadata = new MetadataBudget(limits);
  }

  /**
   * Admits one metadata entry when it is plain and fits what is left of the budget, spending it.
   *
   * @param key the entry's key
   * @param value a pickled value
   * @return the converted value, or {@link #NOT_PLAIN} when the entry is left out
   * @throws FormatException LIMIT_EXCEEDED when the parse's work budget or deadline is spent
   */
  Object admit(String key, Object value) throws FormatException {
    long keyChars = MetadataBudget.stringChars(key);
    if (keyChars < 0) {
      return NOT_PLAIN;
    }
    Measure m = measure(value);
    if (!m.plain() || m.height() > maxDepth) {
      return NOT_PLAIN;
    }
    if (!metadata.spend(keyChars, m.chars(), m.nodes())) {
      return NOT_PLAIN;
    }
    return convert(value);
  }

  private Measure measure(Object root) throws FormatException {
    Measure known = leaf(root);
    if (known != null) {
      return known;
    }
    // Iterative post-order walk: a chain of a million lists must not overflow the Java stack.
    Deque<Frame> stack = new ArrayDeque<>();
    stack.push(open(root));
    Measure last = null;
    while (!stack.isEmpty()) {
      Frame f = stack.peek();
      if (last != null) {
        f.take(last);
        last = null;
      }
      if (!f.plain || !f.children.hasNext()) {
        stack.pop();
        Measure done = f.finish();
        measured.put(f.node, done);
        last = done;
        continue;
      }
      budget.charge();
      Object child;
      if (f.node instanceof PickleDict) {
        @SuppressWarnings("unchecked")
        Map.Entry<Object, Object> e = (Map.Entry<Object, Object>) f.children.next();
        if (!(e.getKey() instanceof String key)) {
          f.plain = false;
          continue;
        }
        long keyChars = measureString(key);
        if (keyChars < 0) {
          f.plain = false;
          continue;
        }
        f.chars = add(f.chars, keyChars + 1); // ':'
        child = e.getValue();
      } else {
        child = f.children.next();
      }
      Measure m = leaf(child);
      if (m != null) {
        f.take(m);
      } else if (measured.containsKey(child)) {
        // Still open, so on the path: the value refers to itself.
        f.plain = false;
      } else {
        measured.put(child, null);
        stack.push(open(child));
      }
    }
    return last;
  }

  /** The measure of a value that needs no walk: a scalar, a finished container, or not plain. */
  private Measure leaf(Object v) throws FormatException {
    if (v == null) {
      return new Measure(true, 4, 1, 0);
    } else if (v instanceof String s) {
      long n = measureString(s);
      return n < 0 ? LEFT_OUT : new Measure(true, n, 1, 0);
    } else if (v instanceof Long l) {
      return new Measure(true, Long.toString(l).length(), 1, 0);
    } else if (v instanceof BigInteger b) {
      return b.bitLength() > MAX_INTEGER_BITS
          ? LEFT_OUT
          : new Measure(true, (long) Math.ceil(b.bitLength() * 0.30103) + 2, 1, 0);
    } else if (v instanceof Double d) {
      return new Measure(true, Double.toString(d).length() + 2, 1, 0);
    } else if (v instanceof Boolean b) {
      return new Measure(true, b ? 4 : 5, 1, 0);
    } else if (v instanceof List<?> || v instanceof PickleTuple || v instanceof PickleDict) {
      return measured.get(v); // null while open or before the walk reaches it
    }
    return LEFT_OUT;
  }

  // Strings are shared like containers, so each distinct one is scanned once.
  private long measureString(String s) throws FormatException {
    Measure m = measured.get(s);
    if (m == null) {
      budget.charge(1 + s.length() / 64);
      long n = MetadataBudget.stringChars(s);
      m = n < 0 ? LEFT_OUT : new Measure(true, n, 1, 0);
      measured.put(s, m);
    }
    return m.plain() ? m.chars() : -1;
  }

  private Frame open(Object node) {
    Iterator<?> children;
    if (node instanceof PickleDict d) {
      children = d.entrySet().iterator();
    } else if (node instanceof PickleTuple t) {
      children = t.items().iterator();
    } else {
      children = ((List<?>) node).iterator();
    }
    measured.put(node, null);
    return new Frame(node, children);
  }

  /** A container being measured. */
  private static final class Frame {
    final Object node;
    final Iterator<?> children;
    boolean plain = true;
    long chars = 2; // [] or {}
    long nodes = 1;
    int height = 1;
    int count;

    Frame(Object node, Iterator<?> children) {
      this.node = node;
      this.children = children;
    }

    void take(Measure m) {
      if (!m.plain()) {
        plain = false;
        return;
      }
      chars = add(chars, m.chars() + (count++ > 0 ? 1 : 0));
      nodes = add(nodes, m.nodes());
      height = Math.max(height, m.height() + 1);
    }

    Measure finish() {
      return plain ? new Measure(true, chars, nodes, height) : LEFT_OUT;
    }
  }

  /** Converts a measured plain value; its height is at most maxDepth, so recursion is shallow. */
  private Object convert(Object v) {
    if (!(v instanceof List<?> || v instanceof PickleTuple || v instanceof PickleDict)) {
      return v;
    }
    Object done = converted.get(v);
    if (done != null) {
      return done;
    }
    Object out;
    if (v instanceof PickleDict d) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Map.Entry<Object, Object> e : d.entrySet()) {
        map.put((String) e.getKey(), convert(e.getValue()));
      }
      out = Collections.unmodifiableMap(map);
    } else {
      List<?> items = v instanceof PickleTuple t ? t.items() : (List<?>) v;
      List<Object> list = new ArrayList<>(items.size());
      for (Object item : items) {
        list.add(convert(item));
      }
      out = Collections.unmodifiableList(list);
    }
    converted.put(v, out);
    return out;
  }

  private static long add(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }
}
