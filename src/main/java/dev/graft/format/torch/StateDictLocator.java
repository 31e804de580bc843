package dev.graft.format.torch;

import dev.graft.format.FormatException;
import dev.graft.format.pickle.ParameterRef;
import dev.graft.format.pickle.PickleDict;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.pickle.TensorRef;
import java.util.List;
import java.util.Map;

/**
 * Finds the state dict inside an unpickled checkpoint: the top level when it is a dict of tensors,
 * else the first conventional key (also one level down, {@code {'model': {'state_dict': ...}}}), or
 * the dotted path the caller names.
 */
final class StateDictLocator {

  /**
   * Keys training scripts and frameworks conventionally store the state dict under, in priority
   * order.
   */
  static final List<String> CONVENTIONAL_KEYS =
      List.of("state_dict", "model_state_dict", "model", "module", "net", "state_dict_ema");

  /**
   * Where the state dict sits and the dict itself.
   *
   * @param path dotted path from the top level, empty for the top level
   * @param dict the state dict
   */
  record Located(String path, PickleDict dict) {}

  private StateDictLocator() {}

  /**
   * Locates the state dict.
   *
   * @param root the unpickled top-level value
   * @param path the dotted path the caller names, or {@code null} to detect it
   * @throws FormatException MALFORMED when there is no state dict or the named path holds none
   */
  static Located locate(Object root, String path) throws FormatException {
    if (path != null) {
      return walk(root, path);
    }
    if (!(root instanceof PickleDict top)) {
      throw FormatException.malformed(
          "the checkpoint holds a " + RestrictedUnpickler.describe(root) + ", not a state dict");
    }
    if (isTensorDict(top)) {
      return new Located("", top);
    }
    for (String key : CONVENTIONAL_KEYS) {
      if (top.get(key) instanceof PickleDict d && isTensorDict(d)) {
        return new Located(key, d);
      }
    }
    for (String outer : CONVENTIONAL_KEYS) {
      if (top.get(outer) instanceof PickleDict mid) {
        for (String inner : CONVENTIONAL_KEYS) {
          if (mid.get(inner) instanceof PickleDict d && isTensorDict(d)) {
            return new Located(outer + "." + inner, d);
          }
        }
      }
    }
    StringBuilder keys = new StringBuilder();
    int shown = 0;
    for (Object k : top.keySet()) {
      if (shown++ == 10) {
        keys.append(", ...");
        break;
      }
      keys.append(shown > 1 ? ", " : "")
          .append(
              k instanceof String s ? FormatException.quote(s) : RestrictedUnpickler.describe(k));
    }
    throw FormatException.malformed(
        "no state dict found: the top level is not a dict of tensors and none of "
            + CONVENTIONAL_KEYS
            + " holds one (top-level keys: "
            + keys
            + "); name it with stateDictPath");
  }

  private static Located walk(Object root, String path) throws FormatException {
    Object at = root;
    if (!path.isEmpty()) {
      for (String segment : path.split("\\.", -1)) {
        if (!(at instanceof Map<?, ?> m) || !m.containsKey(segment)) {
          throw FormatException.malformed(
              "stateDictPath "
                  + FormatException.quote(path)
                  + " does not exist: no key "
                  + FormatException.quote(segment));
        }
        at = m.get(segment);
      }
    }
    if (!(at instanceof PickleDict d)) {
      throw FormatException.malformed(
          "stateDictPath "
              + FormatException.quote(path)
              + " holds a "
              + RestrictedUnpickler.describe(at)
              + ", not a state dict");
    }
    for (Map.Entry<Object, Object> e : d.entrySet()) {
      if (!isTensor(e.getValue())) {
        throw FormatException.malformed(
            "state dict at "
                + FormatException.quote(path)
                + " holds a "
                + RestrictedUnpickler.describe(e.getValue())
                + " under key "
                + (e.getKey() instanceof String s
                    ? FormatException.quote(s)
                    : "of type " + RestrictedUnpickler.describe(e.getKey()))
                + "; a state dict holds only tensors");
      }
    }
    return new Located(path, d);
  }

  static boolean isTensorDict(PickleDict d) {
    for (Object v : d.values()) {
      if (!isTensor(v)) {
        return false;
      }
    }
    return true;
  }

  static boolean isTensor(Object v) {
    return v instanceof TensorRef || v instanceof ParameterRef;
  }
}
