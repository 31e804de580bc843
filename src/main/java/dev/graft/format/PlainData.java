package dev.graft.format;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts pickled values to plain JSON-like data, or reports that they are not plain. */
final class PlainData {

  /** Returned by {@link #convert} for a value that is not plain data. */
  static final Object NOT_PLAIN = new Object();

  private PlainData() {}

  /**
   * Converts strings, numbers, booleans, None, lists, tuples and string-keyed dicts of such; tuples
   * become lists and dicts become ordered maps.
   *
   * @param v a pickled value
   * @param maxDepth how deep containers may nest; deeper (so also cyclic) values are not plain
   * @return the converted value, or {@link #NOT_PLAIN} when any part of it is not plain data
   */
  static Object convert(Object v, int maxDepth) {
    if (v == null
        || v instanceof String
        || v instanceof Long
        || v instanceof BigInteger
        || v instanceof Double
        || v instanceof Boolean) {
      return v;
    }
    if (maxDepth <= 0) {
      return NOT_PLAIN;
    }
    if (v instanceof List<?> || v instanceof PickleTuple) {
      List<?> items = v instanceof PickleTuple t ? t.items() : (List<?>) v;
      List<Object> list = new ArrayList<>(items.size());
      for (Object item : items) {
        Object c = convert(item, maxDepth - 1);
        if (c == NOT_PLAIN) {
          return NOT_PLAIN;
        }
        list.add(c);
      }
      return Collections.unmodifiableList(list);
    }
    if (v instanceof PickleDict d) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Map.Entry<Object, Object> e : d.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          return NOT_PLAIN;
        }
        Object c = convert(e.getValue(), maxDepth - 1);
        if (c == NOT_PLAIN) {
          return NOT_PLAIN;
        }
        map.put(key, c);
      }
      return Collections.unmodifiableMap(map);
    }
    return NOT_PLAIN;
  }
}
