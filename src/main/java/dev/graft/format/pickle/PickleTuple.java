package dev.graft.format.pickle;

import dev.graft.format.ReadLimits;
import dev.graft.format.internal.ParseBudget;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A Python tuple from a pickle: an immutable sequence, hashable when its items are.
 *
 * <p>Pickles share objects, so a few hundred bytes can build tuples whose tree of items is
 * exponentially large. Hashing therefore never recurses: the hash, whether the tuple is hashable
 * and its weight (items counted through nested tuples, as a tree, saturating) are computed once
 * from its items' when it is built. Equality recurses only into tuples of equal hash and is charged
 * to the parse's {@link ParseBudget}; the unpickler refuses as a dict key or set item any tuple
 * heavier than {@link ReadLimits#maxKeyTupleWeight()}. A tuple holding an unhashable item (a list,
 * a dict) is equal only to itself.
 */
public final class PickleTuple {

  private final List<Object> items;
  private final int hash;
  private final long weight;
  private final boolean hashable;
  private final ParseBudget budget;
  private final int depth;

  /**
   * A tuple of the given items, copied into an unmodifiable list that, unlike {@code List.copyOf},
   * allows nulls.
   *
   * @param items the items; may contain {@code null} for Python's {@code None}
   */
  public PickleTuple(List<Object> items) {
    this(items, null);
  }

  /**
   * A tuple whose equality checks charge {@code budget}.
   *
   * @param items the items
   * @param budget the parse's budget, or {@code null} for none
   */
  PickleTuple(List<Object> items, ParseBudget budget) {
    this(Collections.unmodifiableList(new ArrayList<>(items)), budget, 0);
  }

  private PickleTuple(List<Object> items, ParseBudget budget, int depth) {
    this.items = items;
    this.budget = budget;
    int h = 1;
    long w = 1;
    boolean all = true;
    for (Object item : this.items) {
      int itemHash;
      if (item instanceof PickleTuple t) {
        itemHash = t.hash;
        w = saturatingAdd(w, t.weight);
        all &= t.hashable;
      } else {
        w = saturatingAdd(w, 1);
        if (isHashableScalar(item)) {
          itemHash = Objects.hashCode(item);
        } else {
          itemHash = System.identityHashCode(item);
          all = false;
        }
      }
      h = 31 * h + itemHash;
    }
    this.hash = h;
    this.weight = w;
    this.hashable = all;
    int d = 1;
    for (Object item : items) {
      if (item instanceof PickleTuple t) {
        d = Math.max(d, t.depth + 1);
      }
    }
    this.depth = Math.max(depth, d);
  }

  /**
   * A tuple that takes over {@code items}, a fresh list no one else holds, as the unpickler builds
   * them.
   *
   * @param depth how deeply containers nest inside it, itself included, as the unpickler counts
   */
  static PickleTuple owning(List<Object> items, ParseBudget budget, int depth) {
    return new PickleTuple(Collections.unmodifiableList(items), budget, depth);
  }

  /** How deeply containers nest inside it, itself included. */
  int depth() {
    return depth;
  }

  /** The items, unmodifiable. */
  public List<Object> items() {
    return items;
  }

  /** The number of items. */
  public int size() {
    return items.size();
  }

  /** The item at {@code i}. */
  public Object get(int i) {
    return items.get(i);
  }

  /** Items counted through nested tuples as a tree, itself included; saturates at Long.MAX. */
  long weight() {
    return weight;
  }

  /** Whether every item, through nested tuples, has value equality (Python would hash it). */
  boolean hashable() {
    return hashable;
  }

  /** Whether a non-tuple value has content equality and a cheap, non-recursive hash. */
  static boolean isHashableScalar(Object v) {
    return v == null
        || v instanceof String
        || v instanceof Long
        || v instanceof BigInteger
        || v instanceof Double
        || v instanceof Boolean
        || v instanceof DTypeRef
        || v instanceof TorchSize
        || v instanceof PickledDevice
        || v instanceof ComplexNumber;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PickleTuple t)
        || t.hash != hash
        || t.items.size() != items.size()
        || !hashable
        || !t.hashable) {
      return false;
    }
    for (int i = 0; i < items.size(); i++) {
      Object a = items.get(i);
      Object b = t.items.get(i);
      if (budget != null) {
        budget.chargeUnchecked(a instanceof TorchSize s ? 1L + s.dims().size() : 1L);
      }
      if (a != b && !Objects.equals(a, b)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "tuple(" + items.size() + " items)";
  }

  private static long saturatingAdd(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }
}
