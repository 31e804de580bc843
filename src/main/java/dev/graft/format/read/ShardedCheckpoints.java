package dev.graft.format.read;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.safetensors.StrictJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A checkpoint in Hugging Face's sharded layout: the index file ({@code
 * model.safetensors.index.json}, {@code pytorch_model.bin.index.json}) and its shard files, read as
 * one checkpoint whose bytes are the shards one after another in file-name order. Each shard is
 * read by {@link CheckpointReader} under the limits; the index is checked against what the shards
 * hold, and the limits on tensors and elements apply to all shards together.
 */
final class ShardedCheckpoints {

  /**
   * The largest index read, whatever the header limit: a real one lists each key once with a file
   * name (a 405B-parameter model's is under 1 MB), and the whole tree is held while it is checked.
   */
  static final int MAX_INDEX_BYTES = 16 << 20;

  private ShardedCheckpoints() {}

  static CheckpointIndex read(
      byte[] indexJson, List<CheckpointReader.Shard> shards, ReadLimits limits) throws IOException {
    long maxIndex = Math.min(limits.maxHeaderBytes(), MAX_INDEX_BYTES);
    if (indexJson.length > maxIndex) {
      throw FormatException.limit(
          "the shard index is " + indexJson.length + " bytes, over the limit of " + maxIndex);
    }
    Object parsed = StrictJson.parse(indexJson, 0, indexJson.length, 8, "shard index", 0);
    if (!(parsed instanceof Map<?, ?> root) || !(root.get("weight_map") instanceof Map<?, ?> wm)) {
      throw FormatException.malformed("the shard index has no \"weight_map\" object");
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : wm.entrySet()) {
      if (!(e.getValue() instanceof String file)) {
        throw FormatException.malformed(
            "the shard index maps "
                + FormatException.quote((String) e.getKey())
                + " to something other than a file name");
      }
      weightMap.put((String) e.getKey(), file);
    }
    if (weightMap.size() > limits.maxTensors()) {
      throw FormatException.limit(
          "the shard index lists "
              + weightMap.size()
              + " tensors, over the limit of "
              + limits.maxTensors());
    }
    Long totalSize = null;
    if (root.get("metadata") instanceof Map<?, ?> metadata && metadata.get("total_size") != null) {
      if (!(metadata.get("total_size") instanceof Long n)) {
        throw FormatException.malformed("the shard index's metadata.total_size is not an integer");
      }
      totalSize = n;
    }

    Map<String, CheckpointReader.Shard> byName = new TreeMap<>();
    for (CheckpointReader.Shard s : shards) {
      if (byName.put(s.fileName(), s) != null) {
        throw FormatException.malformed(
            "shard file " + FormatException.quote(s.fileName()) + " was sent twice");
      }
    }
    java.util.Set<String> named = new java.util.TreeSet<>(weightMap.values());
    for (String file : named) {
      if (!byName.containsKey(file)) {
        throw FormatException.malformed(
            "the shard index names "
                + FormatException.quote(file)
                + ", which was not sent ("
                + byName.size()
                + " shard file(s) were)");
      }
    }
    for (String file : byName.keySet()) {
      if (!named.contains(file)) {
        throw FormatException.malformed(
            "shard file "
                + FormatException.quote(file)
                + " was sent but the index names no tensor in it");
      }
    }

    List<TensorInfo> tensors = new ArrayList<>();
    Map<String, String> seenIn = new HashMap<>();
    Map<String, Object> metadata = new LinkedHashMap<>();
    Map<String, Long> moduleVersions = new LinkedHashMap<>();
    CheckpointFormat format = null;
    long base = 0;
    long bytes = 0;
    long numel = 0;
    for (CheckpointReader.Shard s : byName.values()) {
      CheckpointIndex one;
      try {
        one = CheckpointReader.read(s.channel(), null, null, limits, s.crc());
      } catch (FormatException e) {
        throw new FormatException(
            e.kind(), "shard " + FormatException.quote(s.fileName()) + ": " + e.getMessage());
      }
      if (format == null) {
        format = one.format();
      } else if (format != one.format()) {
        throw FormatException.unsupported(
            "shard "
                + FormatException.quote(s.fileName())
                + " is "
                + one.format().wireName()
                + " but the shards before it are "
                + format.wireName());
      }
      for (TensorInfo t : one.tensors()) {
        String file = weightMap.get(t.key());
        if (file == null) {
          throw FormatException.malformed(
              "shard "
                  + FormatException.quote(s.fileName())
                  + " holds "
                  + FormatException.quote(t.key())
                  + ", which the index does not list");
        }
        if (!file.equals(s.fileName())) {
          throw FormatException.malformed(
              "shard "
                  + FormatException.quote(s.fileName())
                  + " holds "
                  + FormatException.quote(t.key())
                  + ", which the index puts in "
                  + FormatException.quote(file));
        }
        if (seenIn.put(t.key(), s.fileName()) != null) {
          throw FormatException.malformed(
              "tensor " + FormatException.quote(t.key()) + " appears twice");
        }
        bytes = Math.addExact(bytes, t.numel() * t.dtype().itemSize());
        numel = Math.addExact(numel, t.numel());
        // The checkpoint's bytes are the shards one after another: offsets move by the shards
        // before; storage names are the shard's own, so they are made unique.
        tensors.add(
            new TensorInfo(
                t.key(),
                t.dtype(),
                t.shape(),
                t.strides(),
                t.storageOffset(),
                s.fileName() + "/" + t.storageKey(),
                Math.addExact(base, t.storageDataOffset()),
                t.storageBytes(),
                t.byteOrder(),
                t.parameter(),
                t.requiresGrad()));
      }
      if (tensors.size() > limits.maxTensors()) {
        throw FormatException.limit(
            "the shards hold more than " + limits.maxTensors() + " tensors together");
      }
      if (numel > limits.maxTotalNumel()) {
        throw FormatException.limit(
            "the shards hold more than " + limits.maxTotalNumel() + " elements together");
      }
      one.metadata().forEach(metadata::putIfAbsent);
      one.moduleVersions().forEach(moduleVersions::putIfAbsent);
      base = Math.addExact(base, s.size());
    }
    for (String key : weightMap.keySet()) {
      if (!seenIn.containsKey(key)) {
        throw FormatException.malformed(
            "the shard index puts "
                + FormatException.quote(key)
                + " in "
                + FormatException.quote(weightMap.get(key))
                + ", which does not hold it");
      }
    }
    if (totalSize != null && totalSize != bytes) {
      throw FormatException.malformed(
          "the shard index's metadata.total_size is "
              + totalSize
              + " but the shards' tensors hold "
              + bytes
              + " bytes");
    }
    return new CheckpointIndex(format, "", tensors, metadata, moduleVersions);
  }
}
