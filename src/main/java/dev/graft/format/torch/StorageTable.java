package dev.graft.format.torch;

import dev.graft.format.FormatException;
import dev.graft.format.pickle.StorageRef;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The storages a pickle refers to, each matched to its zip record and checked: one dtype and one
 * size per key, and a record holding exactly the declared bytes (torch 1.13 would read past a short
 * record; Graft refuses both a short and a long one).
 */
final class StorageTable {

  /**
   * A checked storage.
   *
   * @param ref the storage as the pickle declared it
   * @param record its zip record
   */
  record Storage(StorageRef ref, TorchZipEntry record) {

    long bytes() {
      return record.size();
    }
  }

  private final TorchZip zip;
  private final Map<String, StorageRef> declared = new HashMap<>();
  private final Map<String, Storage> resolved = new HashMap<>();

  private StorageTable(TorchZip zip) {
    this.zip = zip;
  }

  /**
   * Checks that no storage key is declared twice with different dtypes or sizes.
   *
   * @throws FormatException UNSAFE naming the record when a key is declared inconsistently
   */
  static StorageTable of(TorchZip zip, List<StorageRef> refs) throws FormatException {
    StorageTable table = new StorageTable(zip);
    for (StorageRef ref : refs) {
      StorageRef first = table.declared.putIfAbsent(ref.key(), ref);
      if (first == null) {
        continue;
      }
      if (first.dtype() != ref.dtype()) {
        throw FormatException.unsafe(
            "storage record "
                + FormatException.quote(ref.recordName())
                + " is claimed as both "
                + first.dtype().torchName()
                + " and "
                + ref.dtype().torchName());
      }
      if (first.numel() != ref.numel()) {
        throw FormatException.unsafe(
            "storage record "
                + FormatException.quote(ref.recordName())
                + " is declared with both "
                + first.numel()
                + " and "
                + ref.numel()
                + " elements");
      }
    }
    return table;
  }

  /** Every storage key the pickle declared. */
  Iterable<StorageRef> declared() {
    return declared.values();
  }

  /**
   * Matches a storage to its record and checks the record's size.
   *
   * @param ref the storage
   * @param user who refers to it, for messages, e.g. {@code tensor 'fc.weight'}
   * @throws FormatException when the record is missing, compressed or of the wrong size
   */
  Storage resolve(StorageRef ref, String user) throws FormatException {
    return resolve(ref, () -> user);
  }

  /** As {@link #resolve(StorageRef, String)}, naming the user only when refusing. */
  Storage resolve(StorageRef ref, java.util.function.Supplier<String> who) throws FormatException {
    Storage done = resolved.get(ref.key());
    if (done != null) {
      return done;
    }
    Optional<TorchZipEntry> record = zip.find(ref.recordName());
    if (record.isEmpty()) {
      throw FormatException.malformed(
          who.get()
              + " refers to missing storage record "
              + FormatException.quote(ref.recordName()));
    }
    TorchZipEntry e = record.get();
    TorchZip.requireStored(e);
    long expected;
    try {
      expected = Math.multiplyExact(ref.numel(), ref.dtype().itemSize());
    } catch (ArithmeticException overflow) {
      expected = -1;
    }
    if (expected != e.size()) {
      throw FormatException.malformed(
          "storage record "
              + FormatException.quote(ref.recordName())
              + " holds "
              + e.size()
              + " bytes but "
              + who.get()
              + " declares "
              + ref.numel()
              + " "
              + ref.dtype().torchName()
              + " elements"
              + (expected >= 0 ? " (" + expected + " bytes)" : ""));
    }
    Storage s = new Storage(ref, e);
    resolved.put(ref.key(), s);
    return s;
  }
}
