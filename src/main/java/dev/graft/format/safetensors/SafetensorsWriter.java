package dev.graft.format.safetensors;

import dev.graft.format.FormatException;
import dev.graft.format.OutputTensor;
import dev.graft.format.internal.SequencedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Streams a safetensors file: the whole header is known from the layout, so it is written at {@link
 * #open} and each tensor's bytes then go straight to the output, contiguous from data offset 0 in
 * layout order.
 *
 * <p>The header is laid out as the reference {@code save_file} writes it: an 8-byte little-endian
 * length N, then N bytes of compact JSON ({@code __metadata__} first when there is any, then the
 * tensors in data order, each as {@code {"dtype":..,"shape":[..],"data_offsets":[b,e]}}) padded
 * with spaces so that the data starts at a multiple of 8. Unlike {@code save_file}, which sorts
 * tensors by dtype and name, the data keeps the layout's order, so {@link SafetensorsReader} lists
 * the tensors back in state-dict order.
 */
public final class SafetensorsWriter extends SequencedWriter {

  private static final String METADATA_KEY = "__metadata__";

  private SafetensorsWriter(WritableByteChannel out, List<OutputTensor> layout) {
    super(out, layout);
  }

  /**
   * Checks the layout and writes the header.
   *
   * @param out where the file goes, from its first byte; never closed by the writer
   * @param layout every tensor, in the order the data will arrive
   * @param metadata the {@code __metadata__} strings; {@code null} or empty for none
   * @return the writer, ready for the first tensor
   * @throws IllegalArgumentException when a dtype has no safetensors code (the float8 fnuz types),
   *     a key is {@code __metadata__} or appears twice, or a metadata string has an unpaired
   *     surrogate
   * @throws IOException when the header cannot be written
   */
  public static SafetensorsWriter open(
      WritableByteChannel out, List<OutputTensor> layout, Map<String, String> metadata)
      throws IOException {
    for (OutputTensor t : layout) {
      if (t.dtype().safetensorsCode() == null) {
        throw new IllegalArgumentException(
            "tensor "
                + FormatException.quote(t.key())
                + " is "
                + t.dtype().torchName()
                + ", which safetensors cannot store; write a torch file or convert it");
      }
      if (t.key().equals(METADATA_KEY)) {
        throw new IllegalArgumentException(
            "a tensor cannot be named __metadata__ in safetensors: the header reserves that key");
      }
    }
    SafetensorsWriter w = new SafetensorsWriter(out, layout);
    w.emit(header(w.layout(), metadata));
    return w;
  }

  /**
   * The bytes before the data: the length and the padded JSON header.
   *
   * @throws IllegalArgumentException when a metadata key or value is null or not encodable
   */
  static byte[] header(List<OutputTensor> layout, Map<String, String> metadata) {
    StringBuilder json = new StringBuilder("{");
    boolean first = true;
    if (metadata != null && !metadata.isEmpty()) {
      json.append('"').append(METADATA_KEY).append("\":{");
      boolean firstMeta = true;
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        Objects.requireNonNull(e.getKey(), "metadata key");
        Objects.requireNonNull(e.getValue(), "metadata value for " + e.getKey());
        json.append(firstMeta ? "" : ",");
        string(json, e.getKey());
        json.append(':');
        string(json, e.getValue());
        firstMeta = false;
      }
      json.append('}');
      first = false;
    }
    long offset = 0;
    for (OutputTensor t : layout) {
      json.append(first ? "" : ",");
      first = false;
      string(json, t.key());
      json.append(":{\"dtype\":\"").append(t.dtype().safetensorsCode()).append("\",\"shape\":[");
      for (int i = 0; i < t.shape().size(); i++) {
        json.append(i > 0 ? "," : "").append(t.shape().get(i));
      }
      long end = offset + t.sizeBytes();
      json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
      offset = end;
    }
    json.append('}');
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
    // The reference pads with spaces so the data section starts 8-byte aligned.
    int padded = body.length + (8 - body.length % 8) % 8;
    ByteBuffer buf = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(padded).put(body);
    while (buf.hasRemaining()) {
      buf.put((byte) ' ');
    }
    return buf.array();
  }

  /** Appends a JSON string escaped as serde_json escapes it: quote, backslash, controls only. */
  private static void string(StringBuilder json, String s) {
    // The UTF-8 encoder refuses exactly the unpaired surrogates, as OutputTensor does for keys.
    if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
      // serde_json and Python's json.loads would both reject or mangle it.
      throw new IllegalArgumentException(
          "safetensors header string " + FormatException.quote(s) + " has an unpaired surrogate");
    }
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        case '\b' -> json.append("\\b");
        case '\f' -> json.append("\\f");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }

  @Override
  protected void beginTensor(int index, OutputTensor t) {
    // The header already placed every tensor; its bytes follow the previous one's directly.
  }

  @Override
  protected void observeData(ByteBuffer data) {}

  @Override
  protected boolean observesData() {
    return false;
  }

  @Override
  protected void endTensor(int index, OutputTensor t) {}

  @Override
  protected void writeTail() {
    // safetensors has no trailer: the data section ends with the last tensor.
  }
}
