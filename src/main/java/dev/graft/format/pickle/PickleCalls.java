package dev.graft.format.pickle;

import dev.graft.format.FormatException;
import dev.graft.format.internal.ParseBudget;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Graft's own interpretation of the allowed callables and of persistent ids: each checks its
 * arguments' shape and types and builds a plain record, so nothing named by the file ever runs.
 */
final class PickleCalls {

  /** Builds an exception carrying the current pickle offset. */
  @FunctionalInterface
  interface Failure {
    FormatException fail(FormatException.Kind kind, String message);
  }

  /**
   * torch names storages by decimal counters; anything else could reach other zip records. Only
   * [A-Za-z0-9_]{1,64}, checked without a regex since every tensor has one.
   */
  static boolean isStorageKey(String key) {
    if (key.isEmpty() || key.length() > 64) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private final Failure failure;
  private final String keyHint;
  private final ParseBudget budget;

  PickleCalls(Failure failure, String keyHint, ParseBudget budget) {
    this.failure = failure;
    this.keyHint = keyHint;
    this.budget = budget;
  }

  Object call(AllowedGlobal global, PickleTuple args) throws FormatException {
    return switch (global) {
      case ORDERED_DICT -> {
        arity(global, args, 0, 0);
        yield new PickleDict(true);
      }
      case REBUILD_TENSOR_V2 -> rebuildTensor(args);
      case REBUILD_PARAMETER -> rebuildParameter(global, args, 3);
      case REBUILD_PARAMETER_WITH_STATE -> rebuildParameter(global, args, 4);
      case TORCH_SIZE -> {
        arity(global, args, 0, 1);
        yield new TorchSize(args.size() == 0 ? List.of() : longs(global, args.get(0), 1, "sizes"));
      }
      case TORCH_DEVICE -> device(args);
      case CODECS_ENCODE -> encode(args);
      case SET, FROZENSET -> {
        arity(global, args, 0, 1);
        Set<Object> set = new LinkedHashSet<>();
        if (args.size() == 1) {
          Object src = args.get(0);
          Collection<?> items;
          if (src instanceof PickleTuple t) {
            items = t.items();
          } else if (src instanceof ArrayList<?> l) {
            items = l;
          } else {
            throw wrong(global, 1, "items", "a list or tuple", src);
          }
          // A memoized list can be passed again and again: each pass is paid for.
          budget.charge(items.size());
          HashFloodGuard guard = new HashFloodGuard();
          for (Object item : items) {
            if (!(item == null
                || item instanceof String
                || item instanceof Long
                || item instanceof Double
                || item instanceof Boolean)) {
              throw wrong(global, 1, "items", "scalar items", item);
            }
            guard.admit(item, set::contains, set, budget, "set");
            set.add(item);
          }
        }
        yield set;
      }
      case COMPLEX -> {
        arity(global, args, 2, 2);
        yield new ComplexNumber(real(global, args.get(0), 1), real(global, args.get(1), 2));
      }
    };
  }

  private TensorRef rebuildTensor(PickleTuple args) throws FormatException {
    AllowedGlobal g = AllowedGlobal.REBUILD_TENSOR_V2;
    arity(g, args, 6, 7);
    if (!(args.get(0) instanceof StorageRef storage)) {
      throw wrong(g, 1, "storage", "a storage", args.get(0));
    }
    long offset = integer(g, args.get(1), 2, "storage_offset");
    List<Long> size = longs(g, args.get(2), 3, "size");
    List<Long> stride = longs(g, args.get(3), 4, "stride");
    if (!(args.get(4) instanceof Boolean requiresGrad)) {
      throw wrong(g, 5, "requires_grad", "a bool", args.get(4));
    }
    if (!(args.get(5) instanceof PickleDict)) {
      throw wrong(g, 6, "backward_hooks", "a dict", args.get(5));
    }
    if (args.size() == 7 && args.get(6) != null && !(args.get(6) instanceof PickleDict)) {
      throw wrong(g, 7, "metadata", "a dict or None", args.get(6));
    }
    if (size.size() != stride.size()) {
      throw failure.fail(
          FormatException.Kind.MALFORMED,
          g.qualifiedName()
              + " got "
              + size.size()
              + " sizes and "
              + stride.size()
              + " strides"
              + forKey());
    }
    return new TensorRef(storage, offset, size, stride, requiresGrad);
  }

  private ParameterRef rebuildParameter(AllowedGlobal g, PickleTuple args, int n)
      throws FormatException {
    arity(g, args, n, n);
    if (!(args.get(0) instanceof TensorRef tensor)) {
      throw wrong(g, 1, "data", "a tensor", args.get(0));
    }
    if (!(args.get(1) instanceof Boolean requiresGrad)) {
      throw wrong(g, 2, "requires_grad", "a bool", args.get(1));
    }
    if (!(args.get(2) instanceof PickleDict)) {
      throw wrong(g, 3, "backward_hooks", "a dict", args.get(2));
    }
    return new ParameterRef(tensor, requiresGrad);
  }

  private PickledDevice device(PickleTuple args) throws FormatException {
    AllowedGlobal g = AllowedGlobal.TORCH_DEVICE;
    arity(g, args, 1, 2);
    if (!(args.get(0) instanceof String type)) {
      throw wrong(g, 1, "type", "a str", args.get(0));
    }
    Long index = null;
    if (args.size() == 2 && args.get(1) != null) {
      index = integer(g, args.get(1), 2, "index");
    }
    return new PickledDevice(type, index);
  }

  private byte[] encode(PickleTuple args) throws FormatException {
    AllowedGlobal g = AllowedGlobal.CODECS_ENCODE;
    arity(g, args, 2, 2);
    if (!(args.get(0) instanceof String text)) {
      throw wrong(g, 1, "obj", "a str", args.get(0));
    }
    if (!"latin1".equals(args.get(1)) && !"latin-1".equals(args.get(1))) {
      throw wrong(g, 2, "encoding", "'latin1'", args.get(1));
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) > 0xff) {
        throw failure.fail(
            FormatException.Kind.MALFORMED, "_codecs.encode got a character outside latin1");
      }
    }
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Checks a persistent id is {@code ('storage', storage_type, key, location, numel)}.
   *
   * @throws FormatException UNSAFE for any other persistent id
   */
  static StorageRef storage(Object pid, Failure failure) throws FormatException {
    if (!(pid instanceof PickleTuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
      throw failure.fail(
          FormatException.Kind.UNSAFE,
          "persistent id is a "
              + describe(pid)
              + ", not a ('storage', type, key, location, numel) tuple");
    }
    if (!(t.get(1) instanceof StorageClass type)) {
      throw failure.fail(
          FormatException.Kind.UNSAFE,
          "persistent id names a " + describe(t.get(1)) + ", not a storage class");
    }
    if (!(t.get(2) instanceof String key) || !isStorageKey(key)) {
      throw failure.fail(
          FormatException.Kind.UNSAFE,
          "persistent id has storage key "
              + (t.get(2) instanceof String s
                  ? FormatException.quote(s)
                  : "of type " + describe(t.get(2)))
              + "; keys are short alphanumeric names");
    }
    if (!(t.get(3) instanceof String location)) {
      throw failure.fail(
          FormatException.Kind.MALFORMED, "persistent id location is a " + describe(t.get(3)));
    }
    if (!(t.get(4) instanceof Long numel) || numel < 0) {
      throw failure.fail(
          FormatException.Kind.MALFORMED,
          "persistent id for storage "
              + FormatException.quote(key)
              + " has numel "
              + describeValue(t.get(4)));
    }
    return new StorageRef(key, type.dtype(), location, numel);
  }

  private void arity(AllowedGlobal g, PickleTuple args, int min, int max) throws FormatException {
    if (args.size() < min || args.size() > max) {
      throw failure.fail(
          FormatException.Kind.MALFORMED,
          g.qualifiedName()
              + " takes "
              + (min == max ? min : min + " to " + max)
              + " arguments, got "
              + args.size()
              + forKey());
    }
  }

  private long integer(AllowedGlobal g, Object v, int index, String name) throws FormatException {
    if (v instanceof Long l) {
      return l;
    }
    throw wrong(g, index, name, "an int within 64 bits", v);
  }

  private List<Long> longs(AllowedGlobal g, Object v, int index, String name)
      throws FormatException {
    List<?> items;
    if (v instanceof PickleTuple t) {
      items = t.items();
    } else if (v instanceof TorchSize s) {
      items = s.dims();
    } else {
      throw wrong(g, index, name, "a tuple of ints", v);
    }
    budget.charge(items.size());
    List<Long> out = new ArrayList<>(items.size());
    for (Object item : items) {
      if (!(item instanceof Long l)) {
        throw wrong(g, index, name, "a tuple of ints within 64 bits", item);
      }
      out.add(l);
    }
    return out;
  }

  private double real(AllowedGlobal g, Object v, int index) throws FormatException {
    if (v instanceof Double d) {
      return d;
    }
    if (v instanceof Long l) {
      return l;
    }
    throw wrong(g, index, index == 1 ? "real" : "imag", "a number", v);
  }

  private FormatException wrong(
      AllowedGlobal g, int index, String name, String expected, Object got) {
    return failure.fail(
        FormatException.Kind.MALFORMED,
        g.qualifiedName()
            + " argument "
            + index
            + " ("
            + name
            + ") must be "
            + expected
            + ", got a "
            + describe(got)
            + forKey());
  }

  private String forKey() {
    return keyHint == null ? "" : " for key " + FormatException.quote(keyHint);
  }

  private static String describeValue(Object v) {
    if (v instanceof BigInteger b) {
      return "of " + b.bitLength() + " bits";
    }
    return v instanceof Long ? v.toString() : "of type " + describe(v);
  }

  /** Names a pickled value's type the way Python would, without printing its content. */
  static String describe(Object v) {
    if (v == null) {
      return "None";
    } else if (v instanceof String) {
      return "str";
    } else if (v instanceof Long || v instanceof BigInteger) {
      return "int";
    } else if (v instanceof Double) {
      return "float";
    } else if (v instanceof Boolean) {
      return "bool";
    } else if (v instanceof byte[]) {
      return "bytes";
    } else if (v instanceof PickleTuple) {
      return "tuple";
    } else if (v instanceof PickleDict d) {
      return d.ordered() ? "OrderedDict" : "dict";
    } else if (v instanceof List<?>) {
      return "list";
    } else if (v instanceof Set<?>) {
      return "set";
    } else if (v instanceof Map<?, ?>) {
      return "dict";
    } else if (v instanceof StorageRef) {
      return "storage";
    } else if (v instanceof TensorRef) {
      return "tensor";
    } else if (v instanceof ParameterRef) {
      return "Parameter";
    } else if (v instanceof DTypeRef) {
      return "dtype";
    } else if (v instanceof TorchSize) {
      return "torch.Size";
    } else if (v instanceof PickledDevice) {
      return "torch.device";
    } else if (v instanceof ComplexNumber) {
      return "complex";
    } else if (v instanceof AllowedGlobal g) {
      return "global " + FormatException.quote(g.qualifiedName());
    } else if (v instanceof TorchScriptObject o) {
      return "TorchScript object of class " + FormatException.quote(o.className());
    } else if (v instanceof TorchScriptClass c) {
      return "TorchScript class " + FormatException.quote(c.qualifiedName());
    } else if (v instanceof JitPickleHelper h) {
      return "global " + FormatException.quote(h.qualifiedName());
    } else if (v instanceof StorageClass s) {
      return "storage class " + FormatException.quote("torch." + s.name());
    }
    return v.getClass().getSimpleName();
  }
}
