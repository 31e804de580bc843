package dev.graft.format;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes pickles opcode by opcode, so tests can build exactly the bytes an attacker would. */
final class PickleBuilder {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** Starts with {@code PROTO 2}, as torch.save writes. */
  static PickleBuilder proto2() {
    return new PickleBuilder().op(0x80).raw(2);
  }

  PickleBuilder op(int opcode) {
    out.write(opcode);
    return this;
  }

  PickleBuilder raw(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  PickleBuilder raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  PickleBuilder raw(byte[] bytes, int from, int length) {
    out.write(bytes, from, length);
    return this;
  }

  PickleBuilder global(String module, String name) {
    return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
  }

  PickleBuilder str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return op('X').raw(le32(b.length)).raw(b);
  }

  PickleBuilder shortStr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return op(0x8c).raw(b.length).raw(b);
  }

  PickleBuilder integer(long v) {
    if (v >= 0 && v < 256) {
      return op('K').raw((int) v);
    }
    return op('J').raw(le32((int) v));
  }

  PickleBuilder mark() {
    return op('(');
  }

  PickleBuilder tuple() {
    return op('t');
  }

  PickleBuilder emptyTuple() {
    return op(')');
  }

  PickleBuilder emptyDict() {
    return op('}');
  }

  PickleBuilder emptyList() {
    return op(']');
  }

  PickleBuilder reduce() {
    return op('R');
  }

  PickleBuilder put(int slot) {
    return op('q').raw(slot);
  }

  PickleBuilder get(int slot) {
    return op('h').raw(slot);
  }

  PickleBuilder bool(boolean v) {
    return op(v ? 0x88 : 0x89);
  }

  PickleBuilder none() {
    return op('N');
  }

  PickleBuilder setitem() {
    return op('s');
  }

  PickleBuilder setitems() {
    return op('u');
  }

  /** An empty {@code OrderedDict()}, as torch writes backward hooks and state dicts. */
  PickleBuilder orderedDict() {
    return global("collections", "OrderedDict").emptyTuple().reduce();
  }

  /** A persistent id {@code ('storage', torch.<cls>, key, 'cpu', numel)} and BINPERSID. */
  PickleBuilder storage(String cls, String key, long numel) {
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
  PickleBuilder ints(long... values) {
    mark();
    for (long v : values) {
      integer(v);
    }
    return tuple();
  }

  /**
   * A whole {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())} call.
   */
  PickleBuilder tensor(
      String cls, String key, long numel, long offset, long[] size, long[] stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(cls, key, numel).integer(offset).ints(size).ints(stride).bool(false).orderedDict();
    return tuple().reduce();
  }

  PickleBuilder stop() {
    return op('.');
  }

  byte[] build() {
    return out.toByteArray();
  }

  static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }
}
