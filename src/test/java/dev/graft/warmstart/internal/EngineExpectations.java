package dev.graft.warmstart.internal;

import dev.graft.format.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** torch 1.13's answers, written by {@code scripts/make_engine_expectations.py}. */
final class EngineExpectations {

  /** One cast: input bytes in {@code from}, torch's bytes in {@code to}. */
  record Cast(DType from, DType to, List<Long> shape, ByteBuffer input, ByteBuffer expected) {
    @Override
    public String toString() {
      return from.torchName() + "->" + to.torchName() + " " + shape;
    }
  }

  /** One overlap copy. */
  record Overlap(
      DType from,
      List<Long> sourceShape,
      DType to,
      List<Long> targetShape,
      ByteBuffer source,
      ByteBuffer targetInitial,
      ByteBuffer expected) {
    @Override
    public String toString() {
      return from.torchName() + sourceShape + "->" + to.torchName() + targetShape;
    }
  }

  /** One deterministic init: torch's bytes, or torch's error when it refuses the value. */
  record Init(
      String scheme,
      Map<String, Double> params,
      DType dtype,
      List<Long> shape,
      ByteBuffer expected,
      String error) {
    @Override
    public String toString() {
      return scheme + params + " " + dtype.torchName() + shape;
    }
  }

  static final List<Cast> CASTS = new ArrayList<>();
  static final List<Overlap> OVERLAPS = new ArrayList<>();
  static final List<Init> INITS = new ArrayList<>();

  static {
    JsonNode doc;
    try (InputStream in =
        EngineExpectations.class.getResourceAsStream("/fixtures/engine/expectations.json")) {
      doc = new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (JsonNode c : doc.get("casts")) {
      CASTS.add(
          new Cast(
              dtype(c, "from"),
              dtype(c, "to"),
              shape(c.get("shape")),
              bytes(c, "input"),
              bytes(c, "expected")));
    }
    for (JsonNode c : doc.get("overlaps")) {
      OVERLAPS.add(
          new Overlap(
              dtype(c, "from"),
              shape(c.get("sourceShape")),
              dtype(c, "to"),
              shape(c.get("targetShape")),
              bytes(c, "source"),
              bytes(c, "targetInitial"),
              bytes(c, "expected")));
    }
    for (JsonNode c : doc.get("inits")) {
      Map<String, Double> params = new HashMap<>();
      for (Map.Entry<String, JsonNode> p : c.get("params").properties()) {
        params.put(p.getKey(), number(p.getValue()));
      }
      INITS.add(
          new Init(
              c.get("scheme").asString(),
              params,
              dtype(c, "dtype"),
              shape(c.get("shape")),
              c.has("expected") ? bytes(c, "expected") : null,
              c.has("error") ? c.get("error").asString() : null));
    }
  }

  private EngineExpectations() {}

  /** A number, or Python's spelling of a non-finite one (JSON has none). */
  private static double number(JsonNode n) {
    if (!n.isString()) {
      return n.asDouble();
    }
    return switch (n.asString()) {
      case "inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> throw new IllegalArgumentException("not a number: " + n);
    };
  }

  private static DType dtype(JsonNode c, String field) {
    return DType.byTorchName(c.get(field).asString()).orElseThrow();
  }

  private static List<Long> shape(JsonNode node) {
    List<Long> s = new ArrayList<>();
    node.forEach(n -> s.add(n.asLong()));
    return List.copyOf(s);
  }

  private static ByteBuffer bytes(JsonNode c, String field) {
    return ByteBuffer.wrap(Base64.getDecoder().decode(c.get(field).asString()))
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Lists the elements where two buffers differ, as hex, for a readable failure.
   *
   * <p>Bit for bit, except that a NaN matches any NaN of the same sign (of any sign for bfloat16):
   * the payload torch gives a converted NaN is not stable across its versions, devices and code
   * paths (float16: torch 1.13's CPU gives 0x7e00, the 2.7 library DJL loads 0x7fff; bfloat16:
   * c10's scalar rule gives 0x7fc0, torch's vectorised CPU loop 0xffff), and no weight's value
   * depends on it.
   */
  static List<String> differences(ByteBuffer actual, ByteBuffer expected, DType dtype) {
    int itemSize = dtype.itemSize();
    List<String> out = new ArrayList<>();
    if (actual.remaining() != expected.remaining()) {
      out.add("size " + actual.remaining() + " != " + expected.remaining());
      return out;
    }
    for (int i = 0; i < expected.remaining(); i += itemSize) {
      StringBuilder a = new StringBuilder();
      StringBuilder e = new StringBuilder();
      boolean differs = false;
      for (int k = itemSize - 1; k >= 0; k--) {
        byte x = actual.get(actual.position() + i + k);
        byte y = expected.get(expected.position() + i + k);
        differs |= x != y;
        a.append(String.format("%02x", x));
        e.append(String.format("%02x", y));
      }
      if (differs && isNaN(actual, i, dtype) && isNaN(expected, i, dtype)) {
        int signByte = itemSize - 1;
        // torch's vectorised CPU path narrows every NaN to bfloat16 0xffff, sign or not.
        differs =
            dtype != DType.BFLOAT16
                && (actual.get(actual.position() + i + signByte) & 0x80)
                    != (expected.get(expected.position() + i + signByte) & 0x80);
      }
      if (differs) {
        out.add("element " + i / itemSize + ": got 0x" + a + ", torch 0x" + e);
      }
    }
    return out;
  }

  private static boolean isNaN(ByteBuffer b, int offset, DType dtype) {
    ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = b.position() + offset;
    return switch (dtype) {
      case FLOAT64 -> Double.isNaN(le.getDouble(at));
      case FLOAT32 -> Float.isNaN(le.getFloat(at));
      case FLOAT16 -> (le.getShort(at) & 0x7c00) == 0x7c00 && (le.getShort(at) & 0x03ff) != 0;
      case BFLOAT16 -> (le.getShort(at) & 0x7f80) == 0x7f80 && (le.getShort(at) & 0x007f) != 0;
      default -> false;
    };
  }
}
