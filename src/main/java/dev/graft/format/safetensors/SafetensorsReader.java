package dev.graft.format.safetensors;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorInfo;
import dev.graft.format.internal.MetadataBudget;
import dev.graft.format.internal.ParseBudget;
import dev.graft.format.internal.StateDictKeys;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the tensor index of a safetensors file: an unsigned 64-bit little-endian header length N, N
 * bytes of UTF-8 JSON, then the data section.
 *
 * <p>Validation follows the safetensors specification and its reference implementation: N is
 * checked against {@link ReadLimits#maxHeaderBytes()} and the file size before anything is
 * allocated; the header must be a JSON object (starting with <code>{</code>, optionally padded with
 * trailing whitespace) whose keys are unique; every entry except {@code __metadata__} is a tensor
 * with exactly {@code dtype}, {@code shape} and {@code data_offsets}; each tensor's byte range must
 * hold exactly {@code numel * itemSize} bytes; and the ranges together must tile the data section
 * from its first to its last byte with no gap, overlap or trailing bytes. Unknown fields in a
 * tensor entry are refused.
 *
 * <p><b>Tensor order.</b> JSON objects are unordered and safetensors records no state-dict order.
 * The index lists tensors in the order of their data offsets (as {@code
 * safe_open(...).offset_keys()} does; {@code keys()} sorts by name instead), breaking ties between
 * empty tensors that start at the same offset by their order in the header. For files written by
 * the reference implementation the header order and the offset order agree.
 *
 * <p><b>Bounded work.</b> The header may be 100,000,000 bytes, so it is read member by member and
 * only what the index keeps is materialized: parsing is linear in the header's length and needs
 * little more memory than the header itself. Where an integer is required (shapes, offsets) only a
 * canonical JSON integer is accepted: {@code -0}, fractions, exponents and leading zeros are
 * refused. Tensor keys follow {@link StateDictKeys} (no U+0000, at most {@link
 * ReadLimits#maxKeyLength()} UTF-8 bytes).
 *
 * <p><b>Metadata.</b> {@code __metadata__} entries are kept in header order while they fit the
 * metadata budget ({@link ReadLimits#maxMetadataChars()} rendered JSON characters, {@link
 * ReadLimits#maxMetadataNodes()} values); entries past it, and entries whose key or value holds
 * U+0000, are left out. A {@code __metadata__} with more than {@link ReadLimits#maxMetadataNodes()}
 * entries, or a key longer than {@link ReadLimits#maxMetadataChars()} characters, is refused.
 */
public final class SafetensorsReader {

  private static final String METADATA_KEY = "__metadata__";

  // A tensor entry is {"dtype": s, "shape": [...], "data_offsets": [b, e]}: a handful of values.
  private static final int TENSOR_STRING_CHARS = 1024;

  private SafetensorsReader() {}

  /**
   * Reads and validates a safetensors file's header.
   *
   * @param file the whole file; it is read from position 0 and its position is left anywhere
   * @param limits the limits to enforce
   * @return the index: format SAFETENSORS, state-dict path {@code ""}, the tensors in data-offset
   *     order, the {@code __metadata__} map (empty when absent) and no module versions
   * @throws FormatException MALFORMED when the file breaks the format, LIMIT_EXCEEDED when a
   *     declared size exceeds {@code limits}; the message names the tensor and the offset involved
   * @throws IOException when the channel cannot be read
   */
  public static CheckpointIndex read(SeekableByteChannel file, ReadLimits limits)
      throws IOException {
    long fileSize = file.size();
    if (fileSize < 8) {
      throw FormatException.malformed(
          "safetensors: file of " + fileSize + " bytes is too short for the 8-byte header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, lenBuf, 0);
    long n = lenBuf.getLong(0);
    if (n < 0 || n > limits.maxHeaderBytes()) {
      throw FormatException.limit(
          "safetensors: header length "
              + Long.toUnsignedString(n)
              + " at offset 0 exceeds the limit of "
              + limits.maxHeaderBytes()
              + " bytes");
    }
    if (n > fileSize - 8) {
      throw FormatException.malformed(
          "safetensors: header length "
              + n
              + " at offset 0 runs past the end of the file ("
              + fileSize
              + " bytes)");
    }
    if (n > Integer.MAX_VALUE - 16) {
      throw FormatException.limit("safetensors: header length " + n + " is too large to read");
    }
    byte[] header = new byte[(int) n];
    readFully(file, ByteBuffer.wrap(header), 8);
    if (n == 0 || header[0] != '{') {
      throw FormatException.malformed(
          "safetensors header: invalid JSON at byte 8: the header must start with '{'");
    }
    ParseBudget budget = ParseBudget.start(limits);
    // Syntax first, as the reference implementation parses the whole header before using it; then
    // the header is read again member by member, keeping only what the index needs.
    StrictJson.check(header, 0, header.length, limits.maxDepth(), "safetensors header", 8, budget);
    StrictJson json =
        StrictJson.reader(
            header, 0, header.length, limits.maxDepth(), "safetensors header", 8, budget);
    StrictJson.Members entries = json.object(1);

    long dataStart = 8 + n;
    long dataLen = fileSize - dataStart;
    Map<String, Object> metadata = new LinkedHashMap<>();
    List<Entry> tensors = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    long totalNumel = 0;
    // Keys are kept up to a little over the longest key accepted, so the message can quote them.
    int maxKeyChars = Math.max(limits.maxKeyLength(), METADATA_KEY.length()) + 1;
    Object k;
    while ((k = entries.next(maxKeyChars)) != null) {
      if (!(k instanceof String key)) {
        throw FormatException.limit(
            "safetensors header: tensor key of "
                + ((StrictJson.Oversized) k).chars()
                + " characters exceeds the limit of "
                + limits.maxKeyLength()
                + " bytes");
      }
      if (!keys.add(key)) {
        throw entries.errorAtKey("duplicate object key " + FormatException.quote(key));
      }
      if (key.equals(METADATA_KEY)) {
        readMetadata(json, entries.valueDepth(), metadata, limits, budget);
        continue;
      }
      if (tensors.size() >= limits.maxTensors()) {
        throw FormatException.limit(
            "safetensors header: more than " + limits.maxTensors() + " tensors");
      }
      StateDictKeys.check(key, limits, "safetensors header: tensor key");
      Object value =
          json.value(entries.valueDepth(), TENSOR_STRING_CHARS, 16L + 2L * limits.maxRank());
      Entry t = readTensor(key, value, tensors.size(), limits);
      totalNumel = t.numel > limits.maxTotalNumel() - totalNumel ? -1 : totalNumel + t.numel;
      if (totalNumel < 0) {
        throw FormatException.limit(
            "safetensors header: total elements exceed the limit of "
                + limits.maxTotalNumel()
                + " at tensor "
                + FormatException.quote(key));
      }
      if (t.end > dataLen) {
        throw FormatException.malformed(
            "safetensors header: tensor "
                + FormatException.quote(key)
                + " data_offsets end "
                + t.end
                + " is past the end of the data section ("
                + dataLen
                + " bytes at file offset "
                + dataStart
                + ")");
      }
      tensors.add(t);
    }
    json.end();

    List<Entry> byOffset = new ArrayList<>(tensors);
    byOffset.sort(
        Comparator.<Entry>comparingLong(t -> t.begin)
            .thenComparingLong(t -> t.end)
            .thenComparingInt(t -> t.headerIndex));
    long expected = 0;
    Entry previous = null;
    for (Entry t : byOffset) {
      if (t.begin > expected) {
        throw FormatException.malformed(
            "safetensors: gap of "
                + (t.begin - expected)
                + " bytes in the data section at data offset "
                + expected
                + " (file offset "
                + (dataStart + expected)
                + ") "
                + (previous == null
                    ? "before the first tensor"
                    : "after tensor " + FormatException.quote(previous.key))
                + ", before tensor "
                + FormatException.quote(t.key));
      }
      if (t.begin < expected) {
        throw FormatException.malformed(
            "safetensors: tensor "
                + FormatException.quote(t.key)
                + " at data offsets ["
                + t.begin
                + ", "
                + t.end
                + "] overlaps tensor "
                + FormatException.quote(previous.key)
                + " at ["
                + previous.begin
                + ", "
                + previous.end
                + "]");
      }
      expected = t.end;
      previous = t;
    }
    if (expected != dataLen) {
      throw FormatException.malformed(
          "safetensors: "
              + (dataLen - expected)
              + " trailing bytes in the data section after "
              + (previous == null
                  ? "the header (no tensors)"
                  : "tensor " + FormatException.quote(previous.key))
              + ", from file offset "
              + (dataStart + expected));
    }

    List<TensorInfo> infos = new ArrayList<>(byOffset.size());
    for (Entry t : byOffset) {
      infos.add(
          new TensorInfo(
              t.key,
              t.dtype,
              t.shape,
              t.strides,
              0,
              t.key,
              dataStart + t.begin,
              t.end - t.begin,
              ByteOrder.LITTLE_ENDIAN,
              false,
              null));
    }
    return new CheckpointIndex(
        CheckpointFormat.SAFETENSORS, "", infos, Collections.unmodifiableMap(metadata), Map.of());
  }

  private static void readMetadata(
      StrictJson json, int depth, Map<String, Object> into, ReadLimits limits, ParseBudget budget)
      throws FormatException {
    if (json.nullNext()) {
      return; // the reference implementation reads null as "no metadata"
    }
    if (json.peekByte() != '{') {
      throw FormatException.malformed(
          "safetensors header: __metadata__ must be an object of strings, got "
              + typeName(json, depth));
    }
    int maxChars = (int) Math.min(Integer.MAX_VALUE - 16, limits.maxMetadataChars());
    MetadataBudget left = new MetadataBudget(limits);
    Set<String> keys = new HashSet<>();
    StrictJson.Members members = json.object(depth);
    Object k;
    while ((k = members.next(maxChars)) != null) {
      if (!(k instanceof String key)) {
        throw FormatException.limit(
            "safetensors header: __metadata__ key of "
                + ((StrictJson.Oversized) k).chars()
                + " characters is longer than the limit of "
                + limits.maxMetadataChars());
      }
      if (!keys.add(key)) {
        throw members.errorAtKey("duplicate object key " + FormatException.quote(key));
      }
      if (keys.size() > limits.maxMetadataNodes()) {
        throw FormatException.limit(
            "safetensors header: __metadata__ holds more than "
                + limits.maxMetadataNodes()
                + " entries");
      }
      Object value =
          json.peekByte() == '"' ? json.value(members.valueDepth(), maxChars, 1) : NOT_A_STRING;
      if (value == NOT_A_STRING) {
        throw FormatException.malformed(
            "safetensors header: __metadata__ value for "
                + FormatException.quote(key)
                + " must be a string, got "
                + typeName(json, members.valueDepth()));
      }
      // Too long a value is left out like any value past the budget.
      if (value instanceof String s && admit(left, key, s, budget)) {
        into.put(key, s);
      }
    }
  }

  private static final Object NOT_A_STRING = new Object();

  /** Whether a metadata entry is plain (no U+0000) and fits what is left of the budget. */
  private static boolean admit(MetadataBudget left, String key, String value, ParseBudget budget)
      throws FormatException {
    long keyChars = MetadataBudget.stringChars(key);
    if (keyChars < 0) {
      return false;
    }
    budget.charge(1 + value.length() / 64);
    long valueChars = MetadataBudget.stringChars(value);
    return valueChars >= 0 && left.spend(keyChars, valueChars, 1);
  }

  /** Names the type of the value that comes next, reading only a scalar. */
  private static String typeName(StrictJson json, int depth) throws FormatException {
    return switch (json.peekByte()) {
      case '{' -> "an object";
      case '[' -> "an array";
      default -> typeName(json.value(depth, 64, 1));
    };
  }

  private static Entry readTensor(String key, Object value, int headerIndex, ReadLimits limits)
      throws FormatException {
    String where = "safetensors header: tensor " + FormatException.quote(key);
    if (!(value instanceof Map<?, ?> fields)) {
      throw FormatException.malformed(where + " must be an object, got " + typeName(value));
    }
    for (Object field : fields.keySet()) {
      if (!field.equals("dtype") && !field.equals("shape") && !field.equals("data_offsets")) {
        throw FormatException.malformed(
            where + " has unknown field " + FormatException.quote((String) field));
      }
    }
    Object dtypeValue = fields.get("dtype");
    if (dtypeValue instanceof StrictJson.Oversized o) {
      throw FormatException.malformed(
          where + ": unknown dtype, a string of " + o.chars() + " characters");
    }
    if (!(dtypeValue instanceof String code)) {
      throw FormatException.malformed(
          where + ": dtype must be a string, got " + typeName(dtypeValue));
    }
    DType dtype =
        DType.bySafetensorsCode(code)
            .orElseThrow(
                () ->
                    FormatException.malformed(
                        "safetensors header: unknown dtype "
                            + FormatException.quote(code)
                            + " for tensor "
                            + FormatException.quote(key)));

    if (!(fields.get("shape") instanceof List<?> shapeList)) {
      throw FormatException.malformed(
          where + ": shape must be an array, got " + typeName(fields.get("shape")));
    }
    if (shapeList.size() > limits.maxRank()) {
      throw FormatException.limit(
          where + ": rank " + shapeList.size() + " exceeds the limit of " + limits.maxRank());
    }
    List<Long> shape = new ArrayList<>(shapeList.size());
    long numel = 1;
    for (int i = 0; i < shapeList.size(); i++) {
      long dim = nonNegative(shapeList.get(i), where + ": shape[" + i + "]");
      shape.add(dim);
      try {
        numel = Math.multiplyExact(numel, dim);
      } catch (ArithmeticException ex) {
        throw FormatException.malformed(
            where + ": shape " + shapeList + " overflows: too many elements");
      }
    }
    // torch's contiguous strides: stride[i] = stride[i+1] * max(shape[i+1], 1).
    Long[] strides = new Long[shape.size()];
    long stride = 1;
    for (int i = shape.size() - 1; i >= 0; i--) {
      strides[i] = stride;
      try {
        stride = Math.multiplyExact(stride, Math.max(shape.get(i), 1L));
      } catch (ArithmeticException ex) {
        throw FormatException.malformed(
            where + ": shape " + shapeList + " overflows: strides too large");
      }
    }

    if (!(fields.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
      throw FormatException.malformed(where + ": data_offsets must be an array [begin, end]");
    }
    long begin = nonNegative(offsets.get(0), where + ": data_offsets begin");
    long end = nonNegative(offsets.get(1), where + ": data_offsets end");
    if (end < begin) {
      throw FormatException.malformed(
          where + ": data_offsets end " + end + " is before begin " + begin);
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(numel, dtype.itemSize());
    } catch (ArithmeticException ex) {
      throw FormatException.malformed(
          where + ": shape " + shapeList + " overflows: too many bytes");
    }
    if (end - begin != bytes) {
      throw FormatException.malformed(
          where
              + ": data_offsets ["
              + begin
              + ", "
              + end
              + "] hold "
              + (end - begin)
              + " bytes but shape "
              + shape
              + " of "
              + dtype.torchName()
              + " needs numel*itemSize = "
              + bytes);
    }
    return new Entry(
        key,
        dtype,
        List.of(shape.toArray(new Long[0])),
        List.of(strides),
        numel,
        begin,
        end,
        headerIndex);
  }

  private static long nonNegative(Object v, String what) throws FormatException {
    if (v instanceof Long l) {
      if (l < 0) {
        throw FormatException.malformed(what + " is negative: " + l);
      }
      return l;
    }
    if (v instanceof Double d && d == 0) {
      throw FormatException.malformed(
          what + " must be a non-negative integer, got a number: -0 is not a canonical integer");
    }
    if (v instanceof BigDecimal b) {
      throw FormatException.malformed(
          what + " must be a non-negative integer, got a number with a fraction or exponent: " + b);
    }
    if (v instanceof BigInteger b) {
      throw FormatException.malformed(
          what
              + " "
              + (b.signum() < 0 ? "is negative and " : "")
              + "overflows a 64-bit integer: "
              + b);
    }
    throw FormatException.malformed(what + " must be a non-negative integer, got " + typeName(v));
  }

  private static String typeName(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof String || v instanceof StrictJson.Oversized) {
      return "a string";
    } else if (v instanceof Map) {
      return "an object";
    } else if (v instanceof List) {
      return "an array";
    } else if (v instanceof Boolean) {
      return "a boolean";
    } else if (v instanceof Long || v instanceof BigInteger) {
      return "an integer";
    } else {
      return "a number";
    }
  }

  private static void readFully(SeekableByteChannel file, ByteBuffer buf, long position)
      throws IOException {
    file.position(position);
    while (buf.hasRemaining()) {
      if (file.read(buf) < 0) {
        throw FormatException.malformed(
            "safetensors: unexpected end of file at offset " + (position + buf.position()));
      }
    }
  }

  private record Entry(
      String key,
      DType dtype,
      List<Long> shape,
      List<Long> strides,
      long numel,
      long begin,
      long end,
      int headerIndex) {}
}
