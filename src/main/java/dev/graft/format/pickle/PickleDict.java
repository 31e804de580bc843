package dev.graft.format.pickle;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Python {@code dict} or {@code collections.OrderedDict} from a pickle, in insertion order, with
 * the instance attributes a pickle {@code BUILD} gave an OrderedDict (a state dict's {@code
 * _metadata}).
 */
public final class PickleDict extends LinkedHashMap<Object, Object> {

  private static final long serialVersionUID = 1L;

  private final boolean ordered;
  private final Map<String, Object> attributes = new LinkedHashMap<>();

  /** How deeply containers nest inside it, itself included, as the unpickler counts. */
  transient int depth = 1;

  /** Guards its keys against hash flooding while the unpickler fills it. */
  transient HashFloodGuard guard;

  /**
   * Creates an empty dict.
   *
   * @param ordered whether the pickle built a {@code collections.OrderedDict}
   */
  public PickleDict(boolean ordered) {
    this.ordered = ordered;
  }

  /** Whether the pickle built a {@code collections.OrderedDict} rather than a plain dict. */
  public boolean ordered() {
    return ordered;
  }

  /** Attributes set by {@code BUILD}, e.g. {@code _metadata}; empty for most dicts. */
  public Map<String, Object> attributes() {
    return Collections.unmodifiableMap(attributes);
  }

  void setAttribute(String name, Object value) {
    attributes.put(name, value);
  }

  // Identity semantics: pickles can build self-referencing dicts, and content hashing would
  // recurse.
  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return (ordered ? "OrderedDict" : "dict") + "(" + size() + " items)";
  }
}
