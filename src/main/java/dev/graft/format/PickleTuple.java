package dev.graft.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Python tuple from a pickle: an immutable sequence, hashable when its items are.
 *
 * @param items the items; may contain {@code null} for Python's {@code None}
 */
public record PickleTuple(List<Object> items) {

  /** Copies the items into an unmodifiable list that, unlike {@code List.copyOf}, allows nulls. */
  public PickleTuple {
    items = Collections.unmodifiableList(new ArrayList<>(items));
  }

  /** The number of items. */
  public int size() {
    return items.size();
  }

  /** The item at {@code i}. */
  public Object get(int i) {
    return items.get(i);
  }
}
