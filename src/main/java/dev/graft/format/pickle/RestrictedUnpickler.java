package dev.graft.format.pickle;

import static dev.graft.format.pickle.PickleOpcodes.ADDITEMS;
import static dev.graft.format.pickle.PickleOpcodes.APPEND;
import static dev.graft.format.pickle.PickleOpcodes.APPENDS;
import static dev.graft.format.pickle.PickleOpcodes.BINBYTES;
import static dev.graft.format.pickle.PickleOpcodes.BINBYTES8;
import static dev.graft.format.pickle.PickleOpcodes.BINFLOAT;
import static dev.graft.format.pickle.PickleOpcodes.BINGET;
import static dev.graft.format.pickle.PickleOpcodes.BININT;
import static dev.graft.format.pickle.PickleOpcodes.BININT1;
import static dev.graft.format.pickle.PickleOpcodes.BININT2;
import static dev.graft.format.pickle.PickleOpcodes.BINPERSID;
import static dev.graft.format.pickle.PickleOpcodes.BINPUT;
import static dev.graft.format.pickle.PickleOpcodes.BINSTRING;
import static dev.graft.format.pickle.PickleOpcodes.BINUNICODE;
import static dev.graft.format.pickle.PickleOpcodes.BINUNICODE8;
import static dev.graft.format.pickle.PickleOpcodes.BUILD;
import static dev.graft.format.pickle.PickleOpcodes.DICT;
import static dev.graft.format.pickle.PickleOpcodes.DUP;
import static dev.graft.format.pickle.PickleOpcodes.EMPTY_DICT;
import static dev.graft.format.pickle.PickleOpcodes.EMPTY_LIST;
import static dev.graft.format.pickle.PickleOpcodes.EMPTY_SET;
import static dev.graft.format.pickle.PickleOpcodes.EMPTY_TUPLE;
import static dev.graft.format.pickle.PickleOpcodes.FRAME;
import static dev.graft.format.pickle.PickleOpcodes.FROZENSET;
import static dev.graft.format.pickle.PickleOpcodes.GLOBAL;
import static dev.graft.format.pickle.PickleOpcodes.LIST;
import static dev.graft.format.pickle.PickleOpcodes.LONG1;
import static dev.graft.format.pickle.PickleOpcodes.LONG4;
import static dev.graft.format.pickle.PickleOpcodes.LONG_BINGET;
import static dev.graft.format.pickle.PickleOpcodes.LONG_BINPUT;
import static dev.graft.format.pickle.PickleOpcodes.MARK;
import static dev.graft.format.pickle.PickleOpcodes.MEMOIZE;
import static dev.graft.format.pickle.PickleOpcodes.NEWFALSE;
import static dev.graft.format.pickle.PickleOpcodes.NEWOBJ;
import static dev.graft.format.pickle.PickleOpcodes.NEWTRUE;
import static dev.graft.format.pickle.PickleOpcodes.NONE;
import static dev.graft.format.pickle.PickleOpcodes.POP;
import static dev.graft.format.pickle.PickleOpcodes.POP_MARK;
import static dev.graft.format.pickle.PickleOpcodes.PROTO;
import static dev.graft.format.pickle.PickleOpcodes.REDUCE;
import static dev.graft.format.pickle.PickleOpcodes.SETITEM;
import static dev.graft.format.pickle.PickleOpcodes.SETITEMS;
import static dev.graft.format.pickle.PickleOpcodes.SHORT_BINBYTES;
import static dev.graft.format.pickle.PickleOpcodes.SHORT_BINSTRING;
import static dev.graft.format.pickle.PickleOpcodes.SHORT_BINUNICODE;
import static dev.graft.format.pickle.PickleOpcodes.STACK_GLOBAL;
import static dev.graft.format.pickle.PickleOpcodes.STOP;
import static dev.graft.format.pickle.PickleOpcodes.TUPLE;
import static dev.graft.format.pickle.PickleOpcodes.TUPLE1;
import static dev.graft.format.pickle.PickleOpcodes.TUPLE2;
import static dev.graft.format.pickle.PickleOpcodes.TUPLE3;

import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.internal.ParseBudget;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Evaluates a pickle the way {@code torch.load(weights_only=True)} does, but stricter and without
 * executing anything: globals resolve only to the {@link AllowedGlobal} allow-list, storage classes
 * and dtypes, which Graft interprets itself; everything else is refused by name before any object
 * is built. Every size and count is checked against {@link ReadLimits} before it is used.
 *
 * <p>Values produced: {@link String}, {@link Long} or {@link BigInteger}, {@link Double}, {@link
 * Boolean}, {@code null}, {@code byte[]}, {@link ArrayList} (list), {@link PickleTuple}, {@link
 * PickleDict}, {@link Set}, {@link StorageRef}, {@link TensorRef}, {@link ParameterRef}, {@link
 * DTypeRef}, {@link TorchSize}, {@link PickledDevice}, {@link ComplexNumber}, and the resolved
 * globals themselves.
 *
 * <p>In TorchScript mode (for {@code torch.jit.save} archives) it also accepts {@code __torch__.*}
 * class globals, as {@link TorchScriptClass} placeholders that {@code NEWOBJ} turns into inert
 * {@link TorchScriptObject} records and {@code BUILD} gives their state, and the {@code
 * torch.jit._pickle} list helpers, read as their argument. Nothing named is ever instantiated or
 * run, and every other global is still refused.
 *
 * <p>Work is bounded as well as sizes: every opcode, every item a call walks and every tuple
 * comparison is charged to the parse's {@link ParseBudget}, tuples hash in constant time (see
 * {@link PickleTuple}) and heavy tuples are refused as dict keys, and integers are refused past
 * {@link ReadLimits#maxIntegerBits()}.
 *
 * <p>An instance reads one pickle.
 */
public final class RestrictedUnpickler {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,199}");

  // A key hint is the string just below a rebuild call's function; look no further than this.
  private static final int KEY_HINT_REACH = 4;

  private final ReadLimits limits;
  private final boolean torchScript;
  private final ParseBudget budget;
  private final List<StorageRef> storages = new ArrayList<>();
  // The memo: dense indices (torch writes 0, 1, 2...) in an array, 8 bytes an entry; any others in
  // a map, so an index of 4 billion costs one map entry, not an array.
  private static final Object MEMO_NONE = new Object();
  private Object[] memoArray = new Object[256];
  private final Map<Long, Object> memoSparse = new HashMap<>();
  private long memoCount;
  // Depths of lists and sets; tuples, dicts and script objects carry their own.
  private final Map<Object, Integer> depths = new IdentityHashMap<>();
  private final Map<Object, HashFloodGuard> setGuards = new IdentityHashMap<>();
  private final java.nio.charset.CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final List<List<Object>> metastack = new ArrayList<>();
  private List<Object> stack = new ArrayList<>();
  private long stackCount;
  private byte[] data;
  private int pos;
  private int opStart;

  /**
   * Creates an unpickler for one pickle.
   *
   * @param limits the limits to enforce
   */
  public RestrictedUnpickler(ReadLimits limits) {
    this(limits, false);
  }

  /**
   * Creates an unpickler for one pickle, optionally in TorchScript mode.
   *
   * @param limits the limits to enforce
   * @param torchScript whether to accept {@code __torch__.*} class globals as inert object
   *     placeholders and the {@code torch.jit._pickle} list helpers, as a TorchScript archive's
   *     {@code data.pkl} needs; checkpoints are read with {@code false}
   */
  public RestrictedUnpickler(ReadLimits limits, boolean torchScript) {
    this(limits, torchScript, ParseBudget.start(limits));
  }

  /**
   * An unpickler charging the work budget of the parse it is part of.
   *
   * @param limits the limits to enforce
   * @param torchScript as {@link #RestrictedUnpickler(ReadLimits, boolean)} says
   * @param budget the parse's budget and deadline
   */
  public RestrictedUnpickler(ReadLimits limits, boolean torchScript, ParseBudget budget) {
    this.limits = limits;
    this.torchScript = torchScript;
    this.budget = budget;
  }

  /**
   * Evaluates a whole pickle, which must end with {@code STOP} leaving exactly one value.
   *
   * @param pickle the pickle's bytes
   * @return the value the pickle builds
   * @throws FormatException UNSAFE for a refused opcode or global, LIMIT_EXCEEDED for a limit
   *     (including the parse's work budget and deadline), MALFORMED for bytes that do not form a
   *     valid pickle; the message gives the pickle offset
   */
  public Object load(byte[] pickle) throws FormatException {
    if (data != null) {
      throw new IllegalStateException("an unpickler reads one pickle");
    }
    data = pickle;
    try {
      return run();
    } catch (ParseBudget.Exceeded e) {
      throw fail(e.refusal().kind(), e.refusal().getMessage());
    } catch (FormatException e) {
      if (e.getMessage() != null && !e.getMessage().contains("at pickle offset")) {
        throw fail(e.kind(), e.getMessage());
      }
      throw e;
    }
  }

  private Object run() throws FormatException {
    long ops = 0;
    while (true) {
      if (pos >= data.length) {
        throw fail(FormatException.Kind.MALFORMED, "pickle ends without STOP");
      }
      opStart = pos;
      int op = data[pos++] & 0xff;
      if (++ops > limits.maxPickleOps()) {
        throw fail(
            FormatException.Kind.LIMIT_EXCEEDED,
            "pickle runs more than " + limits.maxPickleOps() + " opcodes");
      }
      budget.charge();
      if (op == STOP) {
        return stop();
      }
      step(op);
    }
  }

  /**
   * Names a value's type the way Python would, without printing its content, for messages about
   * what a pickle built: {@code str}, {@code OrderedDict}, {@code tensor}, {@code TorchScript
   * object of class '...'}.
   *
   * @param value a value {@link #load} built, or part of one
   * @return the type's name
   */
  public static String describe(Object value) {
    return PickleCalls.describe(value);
  }

  /** Every storage the pickle referred to, in order, one entry per persistent id. */
  public List<StorageRef> storages() {
    return Collections.unmodifiableList(storages);
  }

  private Object stop() throws FormatException {
    if (!metastack.isEmpty()) {
      throw fail(FormatException.Kind.MALFORMED, "STOP with a MARK still open");
    }
    if (stack.size() != 1) {
      throw fail(
          FormatException.Kind.MALFORMED,
          "STOP with " + stack.size() + " values on the stack instead of one");
    }
    if (pos != data.length) {
      throw fail(
          FormatException.Kind.MALFORMED, (data.length - pos) + " bytes follow the pickle's STOP");
    }
    return stack.get(0);
  }

  private void step(int op) throws FormatException {
    switch (op) {
      case PROTO -> {
        int proto = u8();
        if (proto < 2 || proto > 5) {
          throw fail(
              FormatException.Kind.UNSUPPORTED, "pickle protocol " + proto + " is not supported");
        }
      }
      case FRAME -> {
        long len = le64();
        if (len < 0 || len > data.length - pos) {
          throw fail(
              FormatException.Kind.MALFORMED, "FRAME of " + len + " bytes runs past the pickle");
        }
      }
      case GLOBAL -> {
        String module = line();
        String name = line();
        push(resolveGlobal(module, name));
      }
      case STACK_GLOBAL -> {
        Object name = pop();
        Object module = pop();
        if (!(module instanceof String m) || !(name instanceof String n)) {
          throw fail(FormatException.Kind.MALFORMED, "STACK_GLOBAL needs two strings");
        }
        push(resolveGlobal(m, n));
      }
      case REDUCE -> {
        Object args = pop();
        Object func = peek();
        stack.set(stack.size() - 1, call("REDUCE", func, args));
      }
      case NEWOBJ -> {
        Object args = pop();
        Object cls = pop();
        if (cls instanceof TorchScriptClass scriptClass) {
          push(newScriptObject(scriptClass, args));
          return;
        }
        if (cls != AllowedGlobal.ORDERED_DICT
            && cls != AllowedGlobal.TORCH_SIZE
            && cls != AllowedGlobal.TORCH_DEVICE
            && cls != AllowedGlobal.SET
            && cls != AllowedGlobal.FROZENSET
            && cls != AllowedGlobal.COMPLEX) {
          throw fail(
              FormatException.Kind.UNSAFE,
              "NEWOBJ of " + PickleCalls.describe(cls) + " is not allowed");
        }
        push(call("NEWOBJ", cls, args));
      }
      case BUILD -> build();
      case EMPTY_DICT -> push(container(new PickleDict(false)));
      case EMPTY_LIST -> push(container(new ArrayList<>()));
      case EMPTY_TUPLE -> push(tuple(List.of()));
      case EMPTY_SET -> push(container(new LinkedHashSet<>()));
      case MARK -> {
        if (metastack.size() >= limits.maxDepth()) {
          throw fail(
              FormatException.Kind.LIMIT_EXCEEDED, "MARKs nest deeper than " + limits.maxDepth());
        }
        metastack.add(stack);
        stack = new ArrayList<>();
      }
      case TUPLE -> {
        List<Object> items = popMark();
        push(tuple(items));
      }
      case TUPLE1, TUPLE2, TUPLE3 -> {
        int n = op - TUPLE1 + 1;
        if (stack.size() < n) {
          throw fail(FormatException.Kind.MALFORMED, "stack underflow");
        }
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        for (int i = 0; i < n; i++) {
          pop();
        }
        push(tuple(items));
      }
      case LIST -> {
        List<Object> items = popMark();
        List<Object> list = container(new ArrayList<>());
        for (Object item : items) {
          nest(list, item);
          list.add(item);
        }
        push(list);
      }
      case DICT -> {
        List<Object> items = popMark();
        PickleDict dict = container(new PickleDict(false));
        putAll(dict, items);
        push(dict);
      }
      case SETITEM -> {
        Object value = pop();
        Object key = pop();
        putAll(dictOnTop("SETITEM"), pair(key, value));
      }
      case SETITEMS -> {
        List<Object> items = popMark();
        putAll(dictOnTop("SETITEMS"), items);
      }
      case APPEND -> {
        Object item = pop();
        List<Object> list = listOnTop("APPEND");
        nest(list, item);
        list.add(item);
      }
      case APPENDS -> {
        List<Object> items = popMark();
        List<Object> list = listOnTop("APPENDS");
        for (Object item : items) {
          nest(list, item);
          list.add(item);
        }
      }
      case ADDITEMS -> {
        List<Object> items = popMark();
        Object top = peek();
        if (!(top instanceof LinkedHashSet<?>)) {
          throw fail(FormatException.Kind.MALFORMED, "ADDITEMS on a " + PickleCalls.describe(top));
        }
        @SuppressWarnings("unchecked")
        Set<Object> set = (Set<Object>) top;
        for (Object item : items) {
          requireHashable(item, "set item");
          nest(set, item);
          add(set, item);
        }
      }
      case FROZENSET -> {
        List<Object> items = popMark();
        Set<Object> set = new LinkedHashSet<>();
        container(set);
        for (Object item : items) {
          requireHashable(item, "frozenset item");
          nest(set, item);
          add(set, item);
        }
        Set<Object> frozen = Collections.unmodifiableSet(set);
        depths.put(frozen, depthOf(set));
        push(frozen);
      }
      case BINPUT -> memoPut(u8());
      case LONG_BINPUT -> memoPut(u32());
      case MEMOIZE -> memoPut(memoCount);
      case BINGET -> memoGet(u8());
      case LONG_BINGET -> memoGet(u32());
      case BININT -> push((long) le32());
      case BININT1 -> push((long) u8());
      case BININT2 -> push((long) le16());
      case LONG1 -> push(decodeLong("LONG1", u8()));
      case LONG4 -> {
        int n = le32();
        if (n < 0) {
          throw fail(FormatException.Kind.MALFORMED, "LONG4 with negative length " + n);
        }
        push(decodeLong("LONG4", n));
      }
      case BINFLOAT -> push(Double.longBitsToDouble(Long.reverseBytes(le64())));
      case NONE -> push(null);
      case NEWTRUE -> push(Boolean.TRUE);
      case NEWFALSE -> push(Boolean.FALSE);
      case SHORT_BINUNICODE, SHORT_BINSTRING -> push(string(checkedLength(u8())));
      case BINUNICODE -> push(string(checkedLength(u32())));
      case BINSTRING -> push(string(checkedLength(le32())));
      case BINUNICODE8 -> push(string(checkedLength(u64())));
      case SHORT_BINBYTES -> push(take(checkedLength(u8())));
      case BINBYTES -> push(take(checkedLength(u32())));
      case BINBYTES8 -> push(take(checkedLength(u64())));
      case BINPERSID -> {
        StorageRef ref = PickleCalls.storage(pop(), this::fail);
        storages.add(ref);
        push(ref);
      }
      case POP -> {
        if (stack.isEmpty() && !metastack.isEmpty()) {
          popMark();
        } else {
          pop();
        }
      }
      case POP_MARK -> popMark();
      case DUP -> push(peek());
      default ->
          throw fail(
              FormatException.Kind.UNSAFE,
              "pickle opcode " + PickleOpcodes.name(op) + " is not allowed");
    }
  }

  private static List<Object> pair(Object key, Object value) {
    List<Object> items = new ArrayList<>(2);
    items.add(key);
    items.add(value);
    return items;
  }

  private Object resolveGlobal(String module, String name) throws FormatException {
    if (torchScript) {
      if (module.equals("__torch__") || module.startsWith("__torch__.")) {
        return scriptClass(module, name);
      }
      Optional<JitPickleHelper> helper = JitPickleHelper.resolve(module, name);
      if (helper.isPresent()) {
        return helper.get();
      }
    }
    Optional<Object> resolved = AllowedGlobal.resolve(module, name);
    if (resolved.isEmpty()) {
      throw fail(
          FormatException.Kind.UNSAFE,
          "global " + FormatException.quote(module + "." + name) + " is not allowed");
    }
    return resolved.get();
  }

  /**
   * Resolves a TorchScript class by name only. The name must be dotted identifiers, since the
   * reader later maps it to a {@code code/} record name.
   */
  private TorchScriptClass scriptClass(String module, String name) throws FormatException {
    String qualified = module + "." + name;
    for (String segment : qualified.split("\\.", -1)) {
      if (!IDENTIFIER.matcher(segment).matches()) {
        throw fail(
            FormatException.Kind.UNSAFE,
            "TorchScript class "
                + FormatException.quote(qualified)
                + " is not a dotted identifier");
      }
    }
    return new TorchScriptClass(qualified);
  }

  // torch's pickler writes GLOBAL, EMPTY_TUPLE, NEWOBJ, state, BUILD for every script object.
  private TorchScriptObject newScriptObject(TorchScriptClass cls, Object args)
      throws FormatException {
    if (!(args instanceof PickleTuple tuple) || tuple.size() != 0) {
      throw fail(
          FormatException.Kind.MALFORMED,
          "NEWOBJ of TorchScript class "
              + FormatException.quote(cls.qualifiedName())
              + " takes an empty tuple, got a "
              + PickleCalls.describe(args));
    }
    return container(new TorchScriptObject(cls.qualifiedName()));
  }

  private Object jitHelper(JitPickleHelper helper, PickleTuple args) throws FormatException {
    String who = helper.qualifiedName();
    if (helper == JitPickleHelper.RESTORE_TYPE_TAG) {
      if (args.size() != 2 || !(args.get(1) instanceof String)) {
        throw fail(FormatException.Kind.MALFORMED, who + " takes a value and a type string");
      }
      return args.get(0);
    }
    if (args.size() != 1 || !(args.get(0) instanceof ArrayList<?> list)) {
      throw fail(FormatException.Kind.MALFORMED, who + " takes one list");
    }
    budget.charge(list.size());
    for (Object item : list) {
      boolean ok =
          switch (helper) {
            case BUILD_INTLIST -> item instanceof Long || item instanceof BigInteger;
            case BUILD_DOUBLELIST -> item instanceof Double;
            case BUILD_BOOLLIST -> item instanceof Boolean;
            case BUILD_TENSORLIST -> item instanceof TensorRef;
            case RESTORE_TYPE_TAG -> true;
          };
      if (!ok) {
        throw fail(
            FormatException.Kind.MALFORMED,
            who + " got a list holding a " + PickleCalls.describe(item));
      }
    }
    return list;
  }

  private Object call(String opName, Object func, Object args) throws FormatException {
    if (!(args instanceof PickleTuple tuple)) {
      throw fail(
          FormatException.Kind.MALFORMED,
          opName + " arguments are a " + PickleCalls.describe(args) + ", not a tuple");
    }
    if (func instanceof JitPickleHelper helper && opName.equals("REDUCE")) {
      return jitHelper(helper, tuple);
    }
    if (!(func instanceof AllowedGlobal global)) {
      throw fail(
          FormatException.Kind.UNSAFE,
          opName + " on a " + PickleCalls.describe(func) + " is not allowed");
    }
    Object result = new PickleCalls(this::fail, keyHint(), budget).call(global, tuple);
    if (result instanceof PickleDict || result instanceof Set<?>) {
      container(result);
      if (result instanceof Set<?> set) {
        for (Object item : set) {
          nest(result, item);
        }
      }
    }
    return result;
  }

  /**
   * The state-dict key a rebuild call most likely belongs to, for messages: the string below it,
   * looked for among the few values under the function only, so each call costs O(1).
   */
  private String keyHint() {
    int stop = Math.max(0, stack.size() - 1 - KEY_HINT_REACH);
    for (int i = stack.size() - 2; i >= stop; i--) {
      Object v = stack.get(i);
      if (v instanceof String s) {
        return s;
      }
      if (!(v instanceof AllowedGlobal)) {
        return null;
      }
    }
    return null;
  }

  private void build() throws FormatException {
    Object state = pop();
    Object inst = peek();
    if (inst instanceof TorchScriptObject obj) {
      if (obj.built()) {
        throw fail(
            FormatException.Kind.MALFORMED,
            "second BUILD on TorchScript object " + FormatException.quote(obj.className()));
      }
      nest(obj, state);
      obj.build(state);
      return;
    }
    if (!(inst instanceof PickleDict dict) || !dict.ordered()) {
      throw fail(
          FormatException.Kind.UNSAFE,
          "BUILD on a " + PickleCalls.describe(inst) + " is not allowed");
    }
    if (!(state instanceof PickleDict attrs)) {
      throw fail(
          FormatException.Kind.MALFORMED,
          "BUILD state for an OrderedDict is a " + PickleCalls.describe(state) + ", not a dict");
    }
    budget.charge(attrs.size());
    for (Map.Entry<Object, Object> e : attrs.entrySet()) {
      if (!(e.getKey() instanceof String name)) {
        throw fail(
            FormatException.Kind.MALFORMED,
            "BUILD attribute name is a " + PickleCalls.describe(e.getKey()));
      }
      nest(dict, e.getValue());
      dict.setAttribute(name, e.getValue());
    }
  }

  private PickleDict dictOnTop(String opName) throws FormatException {
    Object top = peek();
    if (!(top instanceof PickleDict dict)) {
      throw fail(FormatException.Kind.MALFORMED, opName + " on a " + PickleCalls.describe(top));
    }
    return dict;
  }

  @SuppressWarnings("unchecked")
  private List<Object> listOnTop(String opName) throws FormatException {
    Object top = peek();
    if (!(top instanceof ArrayList<?>)) {
      throw fail(FormatException.Kind.MALFORMED, opName + " on a " + PickleCalls.describe(top));
    }
    return (List<Object>) top;
  }

  private void putAll(PickleDict dict, List<Object> items) throws FormatException {
    if (items.size() % 2 != 0) {
      throw fail(FormatException.Kind.MALFORMED, "odd number of items for a dict");
    }
    for (int i = 0; i < items.size(); i += 2) {
      Object key = items.get(i);
      requireHashable(key, "dict key");
      nest(dict, key);
      nest(dict, items.get(i + 1));
      if (dict.guard == null) {
        dict.guard = new HashFloodGuard();
      }
      try {
        dict.guard.admit(key, dict::containsKey, dict.keySet(), budget, "dict");
        dict.put(key, items.get(i + 1));
      } catch (ParseBudget.Exceeded e) {
        throw fail(e.refusal().kind(), e.refusal().getMessage());
      }
    }
  }

  private void add(Set<Object> set, Object item) throws FormatException {
    try {
      setGuards
          .computeIfAbsent(set, s -> new HashFloodGuard())
          .admit(item, set::contains, set, budget, "set");
      set.add(item);
    } catch (ParseBudget.Exceeded e) {
      throw fail(e.refusal().kind(), e.refusal().getMessage());
    }
  }

  /**
   * Only values with content equality in Java; Python would also hash by identity, which we do not
   * need. A tuple key must also be light, since comparing two keys walks them.
   */
  private void requireHashable(Object v, String role) throws FormatException {
    boolean hashable = v instanceof PickleTuple t ? t.hashable() : PickleTuple.isHashableScalar(v);
    if (!hashable) {
      throw fail(
          FormatException.Kind.MALFORMED, "a " + PickleCalls.describe(v) + " cannot be a " + role);
    }
    if (v instanceof PickleTuple t && t.weight() > limits.maxKeyTupleWeight()) {
      throw fail(
          FormatException.Kind.LIMIT_EXCEEDED,
          "a tuple of "
              + (t.weight() == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(t.weight()))
              + " nested items cannot be a "
              + role
              + "; the limit is "
              + limits.maxKeyTupleWeight());
    }
  }

  /** A tuple of {@code items}, a fresh list the tuple takes over. */
  private PickleTuple tuple(List<Object> items) throws FormatException {
    long work = items.size() + 1L;
    int depth = 1;
    for (Object item : items) {
      if (item instanceof TorchSize size) {
        work += size.dims().size(); // hashed item by item
      }
      depth = Math.max(depth, depthOf(item) + 1);
    }
    budget.charge(work);
    checkDepth(depth);
    return PickleTuple.owning(items, budget, depth);
  }

  private <T> T container(T c) {
    if (!(c instanceof PickleDict) && !(c instanceof TorchScriptObject)) {
      depths.putIfAbsent(c, 1);
    }
    return c;
  }

  private void nest(Object container, Object child) throws FormatException {
    int depth = depthOf(child) + 1;
    checkDepth(depth);
    if (container instanceof PickleDict d) {
      d.depth = Math.max(d.depth, depth);
    } else if (container instanceof TorchScriptObject o) {
      o.depth = Math.max(o.depth, depth);
    } else if (depth > depths.getOrDefault(container, 1)) {
      depths.put(container, depth);
    }
  }

  private int depthOf(Object v) {
    if (v instanceof PickleTuple t) {
      return t.depth();
    } else if (v instanceof PickleDict d) {
      return d.depth;
    } else if (v instanceof TorchScriptObject o) {
      return o.depth;
    } else if (v instanceof List<?> || v instanceof Set<?>) {
      return depths.getOrDefault(v, 0);
    }
    return 0;
  }

  private void checkDepth(int depth) throws FormatException {
    if (depth > limits.maxDepth()) {
      throw fail(
          FormatException.Kind.LIMIT_EXCEEDED, "containers nest deeper than " + limits.maxDepth());
    }
  }

  private void memoPut(long index) throws FormatException {
    if (stack.isEmpty()) {
      throw fail(FormatException.Kind.MALFORMED, "memo store with an empty stack");
    }
    Object v = peek();
    Object stored = v == null ? MEMO_NONE : v;
    boolean dense = index < memoArray.length || index < Math.min(2 * memoCount + 1024, 1L << 30);
    boolean fresh = memoLookup(index) == null;
    if (fresh && memoCount >= limits.maxMemo()) {
      throw fail(
          FormatException.Kind.LIMIT_EXCEEDED,
          "memo holds more than " + limits.maxMemo() + " entries");
    }
    if (dense) {
      if (index >= memoArray.length) {
        memoArray =
            java.util.Arrays.copyOf(
                memoArray, (int) Math.max(index + 1, Math.min(2L * memoArray.length, 1L << 30)));
      }
      memoArray[(int) index] = stored;
      if (!memoSparse.isEmpty()) {
        memoSparse.remove(index);
      }
    } else {
      memoSparse.put(index, stored);
    }
    if (fresh) {
      memoCount++;
    }
  }

  private Object memoLookup(long index) {
    Object stored = index < memoArray.length ? memoArray[(int) index] : null;
    if (stored == null && !memoSparse.isEmpty()) {
      stored = memoSparse.get(index);
    }
    return stored;
  }

  private void memoGet(long index) throws FormatException {
    Object stored = memoLookup(index);
    if (stored == null) {
      throw fail(FormatException.Kind.MALFORMED, "memo slot " + index + " is not defined");
    }
    push(stored == MEMO_NONE ? null : stored);
  }

  private Object decodeLong(String op, int n) throws FormatException {
    if ((long) n * 8 > limits.maxIntegerBits()) {
      // Never the digits: a 3 MB integer would make a 7-million-character message.
      throw fail(
          FormatException.Kind.LIMIT_EXCEEDED,
          op
              + " integer of "
              + n
              + " bytes is longer than the limit of "
              + limits.maxIntegerBits()
              + " bits");
    }
    need(checkedLength(n));
    if (n == 0) {
      return 0L;
    }
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) {
      be[i] = data[pos + n - 1 - i];
    }
    pos += n;
    BigInteger v = new BigInteger(be);
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  private int checkedLength(long n) throws FormatException {
    if (n < 0) {
      throw fail(FormatException.Kind.MALFORMED, "negative length " + n);
    }
    if (n > limits.maxStringLength()) {
      throw fail(
          FormatException.Kind.LIMIT_EXCEEDED,
          "string of " + n + " bytes is longer than the limit of " + limits.maxStringLength());
    }
    return (int) n;
  }

  /** Decodes {@code n} bytes at {@code pos} as strict UTF-8, in place; ASCII takes a fast path. */
  private String string(int n) throws FormatException {
    need(n);
    String out = decode(pos, n);
    pos += n;
    return out;
  }

  private String decode(int at, int n) throws FormatException {
    boolean ascii = true;
    for (int i = at; i < at + n; i++) {
      if (data[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(data, at, n, StandardCharsets.ISO_8859_1);
    }
    try {
      decoder.reset();
      return decoder.decode(ByteBuffer.wrap(data, at, n)).toString();
    } catch (CharacterCodingException e) {
      throw fail(FormatException.Kind.MALFORMED, "string is not valid UTF-8");
    }
  }

  private String line() throws FormatException {
    int max = Math.min(data.length, pos + 1024);
    for (int i = pos; i < max; i++) {
      if (data[i] == '\n') {
        String s = decode(pos, i - pos);
        pos = i + 1;
        return s;
      }
    }
    throw fail(
        FormatException.Kind.MALFORMED, "GLOBAL name is unterminated or longer than 1024 bytes");
  }

  private void need(int n) throws FormatException {
    if (n > data.length - pos) {
      throw fail(
          FormatException.Kind.MALFORMED,
          "pickle is truncated: needs " + n + " bytes, " + (data.length - pos) + " remain");
    }
  }

  private byte[] take(int n) throws FormatException {
    need(n);
    byte[] out = new byte[n];
    System.arraycopy(data, pos, out, 0, n);
    pos += n;
    return out;
  }

  private int u8() throws FormatException {
    need(1);
    return data[pos++] & 0xff;
  }

  private int le16() throws FormatException {
    need(2);
    int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
    pos += 2;
    return v;
  }

  private int le32() throws FormatException {
    need(4);
    int v =
        (data[pos] & 0xff)
            | (data[pos + 1] & 0xff) << 8
            | (data[pos + 2] & 0xff) << 16
            | (data[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }

  private long le64() throws FormatException {
    need(8);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (data[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }

  private long u32() throws FormatException {
    return le32() & 0xffffffffL;
  }

  private long u64() throws FormatException {
    long n = le64();
    return n < 0 ? Long.MAX_VALUE : n;
  }

  private void push(Object v) throws FormatException {
    if (stackCount >= limits.maxStack()) {
      throw fail(
          FormatException.Kind.LIMIT_EXCEEDED,
          "stack holds more than " + limits.maxStack() + " values");
    }
    stack.add(v);
    stackCount++;
  }

  private Object pop() throws FormatException {
    if (stack.isEmpty()) {
      throw fail(FormatException.Kind.MALFORMED, "stack underflow");
    }
    stackCount--;
    return stack.remove(stack.size() - 1);
  }

  private Object peek() throws FormatException {
    if (stack.isEmpty()) {
      throw fail(FormatException.Kind.MALFORMED, "stack underflow");
    }
    return stack.get(stack.size() - 1);
  }

  private List<Object> popMark() throws FormatException {
    if (metastack.isEmpty()) {
      throw fail(FormatException.Kind.MALFORMED, "no MARK to pop to");
    }
    List<Object> items = stack;
    stack = metastack.remove(metastack.size() - 1);
    stackCount -= items.size();
    return items;
  }

  FormatException fail(FormatException.Kind kind, String message) {
    return new FormatException(kind, message + " (at pickle offset " + opStart + ")");
  }
}
