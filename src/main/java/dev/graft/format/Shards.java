package dev.graft.format;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face's sharded checkpoint layout, for writers: how a state dict is split into shards no
 * larger than a maximum size ({@code max_shard_size}), what the shard files are called, and the
 * index file ({@code model.safetensors.index.json}, {@code pytorch_model.bin.index.json}) that
 * {@code transformers}' loaders read. The split and the index are those {@code
 * save_pretrained(max_shard_size=...)} makes, so a model written here loads with {@code
 * load_sharded_checkpoint} or {@code from_pretrained}.
 */
public final class Shards {

  /** Shards one artifact may have; the names have five digits, and a store is no file system. */
  public static final int MAX_SHARDS = 10_000;

  private static final Pattern SIZE =
      Pattern.compile("([0-9]{1,15})\\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?");

  private Shards() {}

  /**
   * A size as {@code transformers}' {@code convert_file_size_to_int} reads it: bytes as a plain
   * number, decimal units ({@code "5GB"} is 5·10⁹ bytes) or binary ones ({@code "5GiB"} is 5·2³⁰),
   * any case.
   *
   * @throws IllegalArgumentException for anything else, or a size below one byte or over a petabyte
   */
  public static long parseSize(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text.strip().toUpperCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "must be a size such as \"5GB\", \"500MB\", \"2GiB\" or a number of bytes; was "
              + FormatException.quote(String.valueOf(text)));
    }
    long n = Long.parseLong(m.group(1));
    long unit =
        switch (m.group(2) == null ? "B" : m.group(2)) {
          case "KB" -> 1_000L;
          case "MB" -> 1_000_000L;
          case "GB" -> 1_000_000_000L;
          case "TB" -> 1_000_000_000_000L;
          case "KIB" -> 1L << 10;
          case "MIB" -> 1L << 20;
          case "GIB" -> 1L << 30;
          case "TIB" -> 1L << 40;
          default -> 1L;
        };
    if (n < 1 || n > 1_000_000_000_000_000L / unit) {
      throw new IllegalArgumentException(
          "must be between 1 byte and 1PB; was " + FormatException.quote(text));
    }
    return n * unit;
  }

  /**
   * Splits a layout into shards in order, as {@code transformers} does: a tensor starts a new shard
   * when it would take the current one past {@code maxShardSize}; a tensor larger than that has a
   * shard of its own.
   *
   * @throws IllegalArgumentException when {@code maxShardSize} is below 1, or there would be more
   *     than {@link #MAX_SHARDS} shards
   */
  public static List<List<OutputTensor>> split(List<OutputTensor> layout, long maxShardSize) {
    if (maxShardSize < 1) {
      throw new IllegalArgumentException("maxShardSize must be at least 1 byte");
    }
    List<List<OutputTensor>> shards = new ArrayList<>();
    List<OutputTensor> current = new ArrayList<>();
    long size = 0;
    for (OutputTensor t : layout) {
      if (!current.isEmpty() && size + t.sizeBytes() > maxShardSize) {
        shards.add(List.copyOf(current));
        current = new ArrayList<>();
        size = 0;
        if (shards.size() >= MAX_SHARDS) {
          throw new IllegalArgumentException(
              "a maximum shard size of "
                  + maxShardSize
                  + " bytes splits these "
                  + layout.size()
                  + " tensors into more than "
                  + MAX_SHARDS
                  + " files; choose a larger one");
        }
      }
      current.add(t);
      size += t.sizeBytes();
    }
    if (!current.isEmpty() || shards.isEmpty()) {
      shards.add(List.copyOf(current));
    }
    return shards;
  }

  /**
   * A shard's file name, as {@code transformers} names it: {@code model-00001-of-00003.safetensors}
   * from {@code "model"}, {@code ".safetensors"}, 0 and 3.
   */
  public static String fileName(String stem, String extension, int index, int count) {
    return String.format(Locale.ROOT, "%s-%05d-of-%05d%s", stem, index + 1, count, extension);
  }

  /**
   * The index file of a sharded state dict, byte for byte as {@code transformers} writes it ({@code
   * json.dumps(index, indent=2, sort_keys=True) + "\n"}): {@code metadata.total_size}, the tensors'
   * bytes, and {@code weight_map}, each key's shard file.
   *
   * @param shards the split, as {@link #split} made it
   * @param fileNames each shard's file name, in the same order
   */
  public static String indexJson(List<List<OutputTensor>> shards, List<String> fileNames) {
    if (shards.size() != fileNames.size()) {
      throw new IllegalArgumentException(
          shards.size() + " shards but " + fileNames.size() + " file names");
    }
    Map<String, String> weightMap = new TreeMap<>(BY_CODE_POINT);
    long total = 0;
    for (int i = 0; i < shards.size(); i++) {
      for (OutputTensor t : shards.get(i)) {
        weightMap.put(t.key(), fileNames.get(i));
        total += t.sizeBytes();
      }
    }
    StringBuilder b = new StringBuilder();
    b.append("{\n  \"metadata\": {\n    \"total_size\": ").append(total).append("\n  },\n");
    b.append("  \"weight_map\": {");
    boolean first = true;
    for (Map.Entry<String, String> e : weightMap.entrySet()) {
      b.append(first ? "\n" : ",\n");
      first = false;
      b.append("    ");
      pythonString(b, e.getKey());
      b.append(": ");
      pythonString(b, e.getValue());
    }
    b.append(first ? "}\n}\n" : "\n  }\n}\n");
    return b.toString();
  }

  /** Python sorts strings by code point; Java's {@code compareTo} by UTF-16 unit. */
  private static final Comparator<String> BY_CODE_POINT =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  /** A JSON string as Python's {@code json.dumps} writes it ({@code ensure_ascii}). */
  private static void pythonString(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
