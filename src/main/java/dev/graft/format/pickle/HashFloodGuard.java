package dev.graft.format.pickle;

import dev.graft.format.FormatException;
import dev.graft.format.internal.ParseBudget;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Keeps one pickled dict or set from being built to make its lookups slow.
 *
 * <p>A Java hash map finds a key among others of the same 32-bit hash code in logarithmic time only
 * when they are mutually {@link Comparable}; keys of mixed classes (a str and an int), or of
 * records, that share a hash code are searched one by one, so n such keys cost n^2 on insertion,
 * and equal hash codes are easy to make ("Aa" and "BB"). Keys of one comparable class (all str, as
 * state dicts are) need no guard. Once a container holds keys of anything else, this counts its
 * keys per hash code and refuses more than {@value #MAX_SAME_HASH} sharing one, which no real data
 * does.
 */
final class HashFloodGuard {

  /** Keys of one container allowed to share a hash code once keys are of mixed classes. */
  static final int MAX_SAME_HASH = 64;

  private Class<?> onlyClass;
  private Map<Integer, Integer> counts;

  /**
   * Checks a key about to be inserted.
   *
   * @param key the key
   * @param present whether the container already holds the key (then it is not counted)
   * @param existing the keys the container holds, counted once when guarding starts
   * @param budget charged per key counted
   * @param what names the container in messages, e.g. {@code "dict"}
   * @throws FormatException LIMIT_EXCEEDED when too many keys would share one hash code
   */
  void admit(
      Object key, Predicate<Object> present, Iterable<?> existing, ParseBudget budget, String what)
      throws FormatException {
    if (counts == null) {
      if (comparable(key) && (onlyClass == null || onlyClass == key.getClass())) {
        onlyClass = key.getClass();
        return;
      }
      counts = new HashMap<>();
      for (Object k : existing) {
        budget.charge();
        counts.merge(k == null ? 0 : k.hashCode(), 1, Integer::sum);
      }
    }
    if (present.test(key)) {
      return;
    }
    int n = counts.merge(key == null ? 0 : key.hashCode(), 1, Integer::sum);
    if (n > MAX_SAME_HASH) {
      throw FormatException.limit(
          "more than "
              + MAX_SAME_HASH
              + " keys of one "
              + what
              + " share a hash code; such a "
              + what
              + " is built to make lookups slow");
    }
  }

  private static boolean comparable(Object key) {
    return key instanceof String
        || key instanceof Long
        || key instanceof Double
        || key instanceof Boolean
        || key instanceof BigInteger;
  }
}
