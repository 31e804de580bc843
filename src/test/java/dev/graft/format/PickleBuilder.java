package dev.graft.format;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes pickles opcode by opcode, so tests can build exactly the bytes an attacker would. */
public final class PickleBuilder {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** Starts with {@code PROTO 2}, as torch.save writes. */
  public static PickleBuilder proto2() {
    return new PickleBuilder().op(0x80).raw(2);
  }

  public PickleBuilder op(int opcode) {
    out.write(opcode);
    return this;
  }

  public PickleBuilder raw(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  public PickleBuilder raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  public PickleBuilder raw(byte[] bytes, int from, int length) {
    out.write(bytes, from, length);
    return this;
  }

  public PickleBuilder global(String module, String name) {
    return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
  }

  public PickleBuilder str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return op('X').raw(le32(b.length)).raw(b);
  }

  public PickleBuilder shortStr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return op(0x8c).raw(b.length).raw(b);
  }

  public PickleBuilder integer(long v) {
    if (v >= 0 && v < 256) {
      return op('K').raw((int) v);
    }
    return op('J').raw(le32((int) v));
  }

  public PickleBuilder mark() {
    return op('(');
  }

  public PickleBuilder tuple() {
    return op('t');
  }

  public PickleBuilder emptyTuple() {
    return op(')');
  }

  public PickleBuilder emptyDict() {
    return op('}');
  }

  public PickleBuilder emptyList() {
    return op(']');
  }

  public PickleBuilder reduce() {
    return op('R');
  }

  public PickleBuilder put(int slot) {
    return op('q').raw(slot);
  }

  public PickleBuilder get(int slot) {
    return op('h').raw(slot);
  }

  public PickleBuilder bool(boolean v) {
    return op(v ? 0x88 : 0x89);
  }

  public PickleBuilder none() {
    return op('N');
  }

  public PickleBuilder setitem() {
    return op('s');
  }

  public PickleBuilder setitems() {
    return op('u');
  }

  /** An empty {@code OrderedDict()}, as torch writes backward hooks and state dicts. */
  public PickleBuilder orderedDict() {
    return global("collections", "OrderedDict").emptyTuple().reduce();
  }

  /** A persistent id {@code ('storage', torch.<cls>, key, 'cpu', numel)} and BINPERSID. */
  public PickleBuilder storage(String cls, String key, long numel) {
    return mark()
        .str("storage")
        .global("torch", cls)
        .str(key)
        .str("cpu")
        .integer(numel)
        .tuple()
        .op('Q');
  }

  /** Ints as a tuple. */
  public PickleBuilder ints(long... values) {
    mark();
    for (long v : values) {
      integer(v);
    }
    return tuple();
  }

  /**
   * A whole {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())} call.
   */
  public PickleBuilder tensor(
      String cls, String key, long numel, long offset, long[] size, long[] stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(cls, key, numel).integer(offset).ints(size).ints(stride).bool(false).orderedDict();
    return tuple().reduce();
  }

  public PickleBuilder stop() {
    return op('.');
  }

  public byte[] build() {
    return out.toByteArray();
  }

  public static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }
}
