package dev.graft.format.torch;

import dev.graft.format.DType;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.internal.StateDictKeys;
import dev.graft.format.pickle.ParameterRef;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.pickle.StorageRef;
import dev.graft.format.pickle.TensorRef;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Turns state-dict tensors into {@link TensorInfo}s, checking (more strictly than torch) that every
 * element a tensor views lies inside its storage, with exact arithmetic, and that the tensor count,
 * rank, key length (UTF-8 bytes, no U+0000; see {@link StateDictKeys}) and total element count stay
 * within {@link ReadLimits}. Both torch zips Graft reads use it: {@code torch.save} checkpoints
 * here and {@code torch.jit.save} archives in {@code format.torchscript}.
 */
public final class TensorIndexer {

  private final StorageTable storages;
  private final ByteOrder byteOrder;
  private final ReadLimits limits;
  private long totalNumel;

  private TensorIndexer(StorageTable storages, ByteOrder byteOrder, ReadLimits limits) {
    this.storages = storages;
    this.byteOrder = byteOrder;
    this.limits = limits;
  }

  /**
   * An indexer for the tensors of one torch zip, {@code torch.save} or {@code torch.jit.save}.
   *
   * @param zip the archive
   * @param storages every storage its pickle referred to ({@link RestrictedUnpickler#storages()})
   * @param byteOrder the archive's byte order ({@link #byteOrder})
   * @param limits the limits to enforce
   * @return the indexer
   * @throws FormatException UNSAFE when a storage key is declared twice with different dtypes or
   *     sizes
   */
  public static TensorIndexer of(
      TorchZip zip, List<StorageRef> storages, ByteOrder byteOrder, ReadLimits limits)
      throws FormatException {
    return new TensorIndexer(StorageTable.of(zip, storages), byteOrder, limits);
  }

  /**
   * The byte order a torch zip's {@code byteorder} record declares; little-endian when there is
   * none, as in archives older than torch 1.10.
   *
   * @param file the archive's file
   * @param zip the archive
   * @return the order of every storage's elements
   * @throws FormatException when the record says anything but {@code little} or {@code big}
   * @throws IOException when the channel cannot be read
   */
  public static ByteOrder byteOrder(SeekableByteChannel file, TorchZip zip) throws IOException {
    Optional<TorchZipEntry> record = zip.find("byteorder");
    if (record.isEmpty()) {
      return ByteOrder.LITTLE_ENDIAN;
    }
    String text =
        new String(zip.readStored(file, record.get(), 16), StandardCharsets.US_ASCII).trim();
    return switch (text) {
      case "little" -> ByteOrder.LITTLE_ENDIAN;
      case "big" -> ByteOrder.BIG_ENDIAN;
      default ->
          throw FormatException.malformed(
              "byteorder record says "
                  + FormatException.quote(text)
                  + ", expected 'little' or 'big'");
    };
  }

  /**
   * Indexes one state-dict entry.
   *
   * @param key the entry's key as unpickled
   * @param value a {@link TensorRef} or {@link ParameterRef}
   * @throws FormatException naming the key when anything is out of bounds or over a limit
   */
  public TensorInfo index(Object key, Object value) throws FormatException {
    if (!(key instanceof String k)) {
      throw FormatException.malformed(
          "state dict key is a " + RestrictedUnpickler.describe(key) + ", not a str");
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
              + RestrictedUnpickler.describe(value)
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

  /**
   * Checks the storages no indexed tensor viewed, so a file cannot hide a bad record outside the
   * state dict.
   *
   * @throws FormatException when such a storage's record is missing, compressed or of the wrong
   *     size
   */
  public void checkRemaining() throws FormatException {
    for (StorageRef ref : storages.declared()) {
      storages.resolve(ref, () -> "storage " + FormatException.quote(ref.recordName()));
    }
  }

  // Built only for a refusal: quoting every key of a large checkpoint costs time.
  private static String who(String key) {
    return "tensor " + FormatException.quote(key);
  }
}
