package dev.graft.format;

import java.nio.ByteOrder;

/**
 * Turns state-dict tensors into {@link TensorInfo}s, checking (more strictly than torch) that every
 * element a tensor views lies inside its storage, with exact arithmetic, and that the tensor count,
 * rank, key length (UTF-8 bytes, no U+0000; see {@link StateDictKeys}) and total element count stay
 * within {@link ReadLimits}.
 */
final class TensorIndexer {

  private final StorageTable storages;
  private final ByteOrder byteOrder;
  private final ReadLimits limits;
  private long totalNumel;

  TensorIndexer(StorageTable storages, ByteOrder byteOrder, ReadLimits limits) {
    this.storages = storages;
    this.byteOrder = byteOrder;
    this.limits = limits;
  }

  /**
   * Indexes one state-dict entry.
   *
   * @param key the entry's key as unpickled
   * @param value a {@link TensorRef} or {@link ParameterRef}
   * @throws FormatException naming the key when anything is out of bounds or over a limit
   */
  TensorInfo index(Object key, Object value) throws FormatException {
    if (!(key instanceof String k)) {
      throw FormatException.malformed(
          "state dict key is a " + PickleCalls.describe(key) + ", not a str");
    }
    StateDictKeys.check(k, limits, "state dict key");
    TensorRef t;
    boolean parameter = value instanceof ParameterRef;
    Boolean requiresGrad = null;
    if (value instanceof ParameterRef p) {
      t = p.tensor();
      requiresGrad = p.requiresGrad();
    } else if (value instanceof TensorRef tr) {
      t = tr;
    } else {
      throw FormatException.malformed(
          "state dict holds a "
              + PickleCalls.describe(value)
              + " under key "
              + FormatException.quote(k));
    }
    if (t.size().size() > limits.maxRank()) {
      throw FormatException.limit(
          who(k)
              + " has "
              + t.size().size()
              + " dimensions, more than the limit of "
              + limits.maxRank());
    }
    if (t.storageOffset() < 0) {
      throw FormatException.malformed(who(k) + " has negative storage offset " + t.storageOffset());
    }
    long numel = 1;
    long lastIndex = t.storageOffset();
    try {
      for (int i = 0; i < t.size().size(); i++) {
        long size = t.size().get(i);
        long stride = t.stride().get(i);
        if (size < 0) {
          throw FormatException.malformed(
              who(k) + " has negative size " + size + " in dimension " + i);
        }
        if (stride < 0) {
          throw FormatException.malformed(
              who(k) + " has negative stride " + stride + " in dimension " + i);
        }
        numel = Math.multiplyExact(numel, size);
        if (size > 0) {
          lastIndex = Math.addExact(lastIndex, Math.multiplyExact(size - 1, stride));
        }
      }
    } catch (ArithmeticException overflow) {
      throw FormatException.malformed(
          who(k) + " has sizes or strides whose extent overflows 64 bits");
    }
    totalNumel = numel > Long.MAX_VALUE - totalNumel ? Long.MAX_VALUE : totalNumel + numel;
    if (totalNumel > limits.maxTotalNumel()) {
      throw FormatException.limit(
          "tensors hold more than the limit of "
              + limits.maxTotalNumel()
              + " elements (at "
              + who(k)
              + ")");
    }
    StorageTable.Storage s = storages.resolve(t.storage(), () -> who(k));
    DType dtype = t.storage().dtype();
    long endByte;
    try {
      // An empty tensor touches no element: torch saves and loads views such as x[5:] of a
      // 4-element
      // storage, whose offset lies past the end, and nothing of it is ever read.
      long endIndex = numel == 0 ? 0 : Math.addExact(lastIndex, 1);
      endByte = Math.multiplyExact(endIndex, dtype.itemSize());
    } catch (ArithmeticException overflow) {
      throw FormatException.malformed(who(k) + " points past the end of any storage (overflow)");
    }
    if (endByte > s.bytes()) {
      throw FormatException.malformed(
          who(k)
              + " points "
              + (endByte - s.bytes())
              + " bytes past the end of storage "
              + FormatException.quote(t.storage().recordName()));
    }
    return new TensorInfo(
        k,
        dtype,
        t.size(),
        t.stride(),
        t.storageOffset(),
        t.storage().recordName(),
        s.record().dataOffset(),
        s.bytes(),
        byteOrder,
        parameter,
        requiresGrad);
  }

  /** Unused storages are checked too, so a file cannot hide a bad record outside the state dict. */
  void checkRemaining() throws FormatException {
    for (StorageRef ref : storages.declared()) {
      storages.resolve(ref, () -> "storage " + FormatException.quote(ref.recordName()));
    }
  }

  // Built only for a refusal: quoting every key of a large checkpoint costs time.
  private static String who(String key) {
    return "tensor " + FormatException.quote(key);
  }
}
