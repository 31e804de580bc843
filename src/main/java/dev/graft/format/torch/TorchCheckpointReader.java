package dev.graft.format.torch;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.internal.ParseBudget;
import dev.graft.format.internal.StateDictKeys;
import dev.graft.format.pickle.PickleDict;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.zip.RangeCrc;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the index of a {@code torch.save} zip archive: opens the zip, evaluates {@code data.pkl}
 * with the {@link RestrictedUnpickler}, finds the state dict and checks every tensor against its
 * storage record. Recognises TorchScript archives and refuses them with guidance.
 */
public final class TorchCheckpointReader {

  static final String TORCHSCRIPT_MESSAGE =
      "this is a TorchScript archive (torch.jit.save); upload it as an architecture, or send the"
          + " state dict saved with torch.save(model.state_dict())";

  private TorchCheckpointReader() {}

  /**
   * Reads a torch checkpoint's index, checking every record's CRC-32 by reading the file.
   *
   * @param file the whole file
   * @param stateDictPath the dotted path of the state dict, or {@code null} to detect it
   * @param limits the limits to enforce
   * @return the checkpoint's index
   * @throws FormatException when the file is refused; the message says what and where
   * @throws IOException when the channel cannot be read
   */
  public static CheckpointIndex read(
      SeekableByteChannel file, String stateDictPath, ReadLimits limits) throws IOException {
    return read(file, stateDictPath, limits, RangeCrc.reading(file));
  }

  /**
   * Reads a torch checkpoint's index under one work budget and deadline, then checks every record's
   * CRC-32 (see {@link TorchZip#verifyRecords}).
   *
   * @param file the whole file
   * @param stateDictPath the dotted path of the state dict, or {@code null} to detect it
   * @param limits the limits to enforce
   * @param crcs gives the CRC-32 of byte ranges of {@code file}
   * @return the checkpoint's index
   * @throws FormatException when the file is refused; the message says what and where
   * @throws IOException when the channel cannot be read
   */
  public static CheckpointIndex read(
      SeekableByteChannel file, String stateDictPath, ReadLimits limits, RangeCrc crcs)
      throws IOException {
    ParseBudget budget = ParseBudget.start(limits);
    TorchZip zip = TorchZip.open(file, limits, budget);
    if (isTorchScript(zip)) {
      throw FormatException.unsupported(TORCHSCRIPT_MESSAGE);
    }
    TorchZipEntry pkl =
        zip.find("data.pkl")
            .orElseThrow(
                () ->
                    FormatException.malformed(
                        "zip has no "
                            + FormatException.quote(zip.root() + "/data.pkl")
                            + " record"));
    ByteOrder order = TensorIndexer.byteOrder(file, zip);
    byte[] pickle = zip.readStored(file, pkl, limits.maxPickleBytes());
    RestrictedUnpickler unpickler = new RestrictedUnpickler(limits, false, budget);
    Object root = unpickler.load(pickle);
    TensorIndexer indexer = TensorIndexer.of(zip, unpickler.storages(), order, limits);

    StateDictLocator.Located located = StateDictLocator.locate(root, stateDictPath);
    PickleDict dict = located.dict();
    if (dict.size() > limits.maxTensors()) {
      throw FormatException.limit(
          "state dict holds "
              + dict.size()
              + " tensors, more than the limit of "
              + limits.maxTensors());
    }
    List<TensorInfo> tensors = new ArrayList<>(dict.size());
    for (Map.Entry<Object, Object> e : dict.entrySet()) {
      budget.charge();
      tensors.add(indexer.index(e.getKey(), e.getValue()));
    }
    indexer.checkRemaining();
    Map<String, Object> metadata = metadata(root, located.path(), limits, budget);
    Map<String, Long> versions = moduleVersions(dict, limits, budget);
    // Last: contents are checked once the structure is known to be sound.
    zip.verifyRecords(file, crcs, limits, budget);
    return new CheckpointIndex(
        CheckpointFormat.PYTORCH, located.path(), tensors, metadata, versions);
  }

  /**
   * Whether a torch zip is a TorchScript archive: {@code torch.jit.save} writes {@code
   * constants.pkl} and {@code code/} records, {@code torch.save} never does.
   *
   * @param zip an opened torch zip
   * @return {@code true} when it holds TorchScript records
   */
  public static boolean isTorchScript(TorchZip zip) {
    return zip.find("constants.pkl").isPresent()
        || zip.entries().stream().anyMatch(e -> e.name().startsWith(zip.root() + "/code/"));
  }

  /**
   * The plain-data entries beside a nested state dict, as {@link PlainData} admits them: optimizer
   * and scheduler state, anything holding tensors or other objects, strings with U+0000, integers
   * JSON readers refuse, and entries past the metadata budget ({@link
   * ReadLimits#maxMetadataChars()}, {@link ReadLimits#maxMetadataNodes()}) are left out; the file
   * is not refused for them.
   */
  private static Map<String, Object> metadata(
      Object root, String path, ReadLimits limits, ParseBudget budget) throws FormatException {
    Map<String, Object> out = new LinkedHashMap<>();
    if (path.isEmpty() || !(root instanceof PickleDict top)) {
      return out;
    }
    String stateDictKey = path.split("\\.", -1)[0];
    PlainData plain = new PlainData(limits, budget);
    for (Map.Entry<Object, Object> e : top.entrySet()) {
      budget.charge();
      if (!(e.getKey() instanceof String key) || key.equals(stateDictKey)) {
        continue;
      }
      String lower = key.toLowerCase(Locale.ROOT);
      if (lower.contains("optim") || lower.contains("scheduler")) {
        continue;
      }
      Object value = plain.admit(key, e.getValue());
      if (value != PlainData.NOT_PLAIN) {
        out.put(key, value);
      }
    }
    return out;
  }

  /**
   * Reads {@code _metadata}: prefix to {@code {'version': n}}; entries of other shapes, and
   * prefixes no key could have (with U+0000, or longer than a key may be), are skipped.
   */
  private static Map<String, Long> moduleVersions(
      PickleDict stateDict, ReadLimits limits, ParseBudget budget) throws FormatException {
    Map<String, Long> out = new LinkedHashMap<>();
    if (stateDict.attributes().get("_metadata") instanceof PickleDict meta) {
      for (Map.Entry<Object, Object> e : meta.entrySet()) {
        budget.charge();
        if (e.getKey() instanceof String prefix
            && StateDictKeys.acceptable(prefix, limits)
            && e.getValue() instanceof PickleDict m
            && m.get("version") instanceof Long version) {
          out.put(prefix, version);
        }
      }
    }
    return out;
  }
}
