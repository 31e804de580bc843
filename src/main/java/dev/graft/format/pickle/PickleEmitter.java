package dev.graft.format.pickle;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Emits protocol-2 pickle opcodes the way CPython's pickler writes them, memo included, so that a
 * state dict written here matches {@code torch.save}'s {@code data.pkl} opcode for opcode.
 *
 * <p>Python memoizes by object identity; callers say which values are shared (one {@code "storage"}
 * string, one {@code _rebuild_tensor_v2} global) by passing {@code shared = true}, and every other
 * memoized value gets a fresh memo slot, as a fresh Python object would.
 */
public final class PickleEmitter {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Map<String, Integer> sharedMemo = new HashMap<>();
  private int memoSize;

  /** PROTO 2. */
  public PickleEmitter proto2() {
    out.write(PickleOpcodes.PROTO);
    out.write(2);
    return this;
  }

  /** A global; the same module and name are fetched from the memo after their first use. */
  public PickleEmitter global(String module, String name) {
    if (get("g:" + module + "\n" + name)) {
      return this;
    }
    out.write(PickleOpcodes.GLOBAL);
    ascii(module + "\n" + name + "\n");
    put("g:" + module + "\n" + name);
    return this;
  }

  /**
   * A str as BINUNICODE, memoized; a shared string is fetched from the memo after its first use.
   */
  public PickleEmitter unicode(String s, boolean shared) {
    if (shared && get("s:" + s)) {
      return this;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(PickleOpcodes.BINUNICODE);
    int32(b.length);
    out.writeBytes(b);
    if (shared) {
      put("s:" + s);
    } else {
      memoize();
    }
    return this;
  }

  /** An int in the shortest form protocol 2 has, as {@code save_long} picks it. */
  public PickleEmitter integer(long v) {
    if (v >= 0 && v <= 0xff) {
      out.write(PickleOpcodes.BININT1);
      out.write((int) v);
    } else if (v >= 0 && v <= 0xffff) {
      out.write(PickleOpcodes.BININT2);
      out.write((int) v & 0xff);
      out.write((int) (v >>> 8) & 0xff);
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      out.write(PickleOpcodes.BININT);
      int32((int) v);
    } else {
      // LONG1: minimal little-endian two's complement, as pickle.encode_long writes it.
      byte[] be = BigInteger.valueOf(v).toByteArray();
      out.write(PickleOpcodes.LONG1);
      out.write(be.length);
      for (int i = be.length - 1; i >= 0; i--) {
        out.write(be[i]);
      }
    }
    return this;
  }

  /** A tuple of ints as Python writes one: EMPTY_TUPLE, TUPLE1..3 or MARK ... TUPLE, memoized. */
  public PickleEmitter intTuple(long[] values) {
    if (values.length == 0) {
      return emptyTuple(); // the empty tuple is a singleton and never memoized
    }
    if (values.length > 3) {
      mark();
    }
    for (long v : values) {
      integer(v);
    }
    switch (values.length) {
      case 1 -> op(PickleOpcodes.TUPLE1);
      case 2 -> op(PickleOpcodes.TUPLE2);
      case 3 -> op(PickleOpcodes.TUPLE3);
      default -> tuple();
    }
    return memoize();
  }

  /** {@code MARK}: opens the items of a tuple or a {@code SETITEMS} batch. */
  public PickleEmitter mark() {
    return op(PickleOpcodes.MARK);
  }

  /** {@code EMPTY_TUPLE}, a singleton Python never memoizes. */
  public PickleEmitter emptyTuple() {
    return op(PickleOpcodes.EMPTY_TUPLE);
  }

  /** {@code TUPLE}: the items since the last {@code MARK} as a tuple. */
  public PickleEmitter tuple() {
    return op(PickleOpcodes.TUPLE);
  }

  /** {@code REDUCE}: calls the callable below the argument tuple on top. */
  public PickleEmitter reduce() {
    return op(PickleOpcodes.REDUCE);
  }

  /** {@code BINPERSID}: the tuple on top as a persistent id. */
  public PickleEmitter binPersId() {
    return op(PickleOpcodes.BINPERSID);
  }

  /** {@code NEWFALSE}. */
  public PickleEmitter newFalse() {
    return op(PickleOpcodes.NEWFALSE);
  }

  /** {@code SETITEM}: one key and value into the dict below them. */
  public PickleEmitter setItem() {
    return op(PickleOpcodes.SETITEM);
  }

  /** {@code SETITEMS}: the keys and values since the last {@code MARK} into the dict below. */
  public PickleEmitter setItems() {
    return op(PickleOpcodes.SETITEMS);
  }

  /** {@code STOP}: ends the pickle. */
  public PickleEmitter stop() {
    return op(PickleOpcodes.STOP);
  }

  private PickleEmitter op(int opcode) {
    out.write(opcode);
    return this;
  }

  /** Puts the value on top of the stack in the next memo slot, as the pickler does for objects. */
  public PickleEmitter memoize() {
    int slot = memoSize++;
    if (slot < 256) {
      out.write(PickleOpcodes.BINPUT);
      out.write(slot);
    } else {
      out.write(PickleOpcodes.LONG_BINPUT);
      int32(slot);
    }
    return this;
  }

  /** The pickle so far. */
  public byte[] toByteArray() {
    return out.toByteArray();
  }

  private boolean get(String sharedKey) {
    Integer slot = sharedMemo.get(sharedKey);
    if (slot == null) {
      return false;
    }
    if (slot < 256) {
      out.write(PickleOpcodes.BINGET);
      out.write(slot);
    } else {
      out.write(PickleOpcodes.LONG_BINGET);
      int32(slot);
    }
    return true;
  }

  private void put(String sharedKey) {
    sharedMemo.put(sharedKey, memoSize);
    memoize();
  }

  private void ascii(String s) {
    out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
  }

  private void int32(int v) {
    out.write(v & 0xff);
    out.write((v >>> 8) & 0xff);
    out.write((v >>> 16) & 0xff);
    out.write((v >>> 24) & 0xff);
  }
}
