package dev.graft.architecture;

import dev.graft.format.DType;
import dev.graft.format.ReadLimits;
import dev.graft.plan.EntryKind;
import dev.graft.plan.Init;
import dev.graft.plan.InitScheme;
import dev.graft.shared.InvalidInput;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * Validation of JSON entries, one place for every rule. A JSON architecture is held to the limits a
 * file is read under ({@link ReadLimits}: entries, rank, total elements), keys to what the database
 * can index ({@value #MAX_KEY_BYTES} bytes of UTF-8, no U+0000), shapes to whole sizes of 0 or more
 * as written (no {@code 1.5}, {@code 2.0}, {@code "3"} or {@code -0} quietly made a size), and init
 * parameters to finite numbers. Sizes and the entry count are checked as the document is read
 * ({@link Sizes}, {@link Entries}), so neither a fraction nor a million entries gets past the
 * parser.
 */
final class JsonEntries {

  /** UTF-8 bytes in one key: PostgreSQL's btree index holds a bounded entry. */
  static final int MAX_KEY_BYTES = 1024;

  /**
   * Entries read from one document before any is checked: the default entry limit, so a body with a
   * million entries is refused while it is read, not after it filled the heap. {@link #validate}
   * then applies the configured limit.
   */
  static final int MAX_PARSED_ENTRIES = ReadLimits.defaults().maxTensors();

  /** Sizes read in one shape before the configured rank limit is applied. */
  static final int MAX_PARSED_RANK = 64;

  private JsonEntries() {}

  /**
   * Checks a document against the limits and turns it into entries.
   *
   * @throws InvalidInput naming the field at fault, e.g. {@code entries[7].shape}
   */
  static List<StoredEntry> validate(ArchitectureDocument doc, ReadLimits limits) {
    if (doc.name() == null || doc.name().isBlank() || doc.name().length() > 255) {
      throw new InvalidInput("name", "is required, at most 255 characters");
    }
    checkText("name", doc.name());
    if (doc.entries() == null) {
      throw new InvalidInput("entries", "is required");
    }
    if (doc.entries().size() > limits.maxTensors()) {
      throw new InvalidInput(
          "entries",
          "holds "
              + doc.entries().size()
              + " entries; at most "
              + limits.maxTensors()
              + " are allowed");
    }
    Set<String> keys = new HashSet<>();
    List<StoredEntry> out = new ArrayList<>();
    long totalNumel = 0;
    for (int i = 0; i < doc.entries().size(); i++) {
      ArchitectureDocument.Entry e = doc.entries().get(i);
      String at = "entries[" + i + "]";
      if (e == null || e.key() == null || e.key().isEmpty()) {
        throw new InvalidInput(at + ".key", "is required");
      }
      int keyBytes = checkText(at + ".key", e.key());
      if (keyBytes > MAX_KEY_BYTES || e.key().length() > limits.maxKeyLength()) {
        throw new InvalidInput(
            at + ".key",
            "is "
                + keyBytes
                + " bytes in UTF-8; at most "
                + Math.min(MAX_KEY_BYTES, limits.maxKeyLength())
                + " are allowed");
      }
      if (!keys.add(e.key())) {
        throw new InvalidInput(at + ".key", "'" + e.key() + "' appears twice");
      }
      DType dtype =
          DType.byTorchName(e.dtype() == null ? "" : e.dtype())
              .orElseThrow(
                  () ->
                      new InvalidInput(
                          at + ".dtype",
                          abbreviate(e.dtype()) + " is not a torch dtype name such as float32"));
      if (e.shape() == null) {
        throw new InvalidInput(at + ".shape", "is required ([] for a 0-dim entry)");
      }
      if (e.shape().size() > limits.maxRank()) {
        throw new InvalidInput(
            at + ".shape",
            "has "
                + e.shape().size()
                + " dimensions; at most "
                + limits.maxRank()
                + " are allowed");
      }
      for (Long s : e.shape()) {
        if (s == null || s < 0) {
          throw new InvalidInput(at + ".shape", "sizes must be 0 or more, was " + e.shape());
        }
      }
      EntryKind kind = kind(at, e.kind());
      boolean requiresGrad =
          e.requiresGrad() != null ? e.requiresGrad() : kind == EntryKind.PARAMETER;
      if (requiresGrad && !ArchitectureService.floating(dtype)) {
        throw new InvalidInput(
            at + ".requiresGrad",
            "only floating-point entries can require gradients (" + dtype.torchName() + ")");
      }
      Map<String, Object> init =
          e.init() != null ? new LinkedHashMap<>(e.init()) : defaultInit(kind, dtype, e.shape());
      validateInit(at + ".init", init, dtype, e.shape());
      StoredEntry stored =
          new StoredEntry(e.key(), dtype, List.copyOf(e.shape()), kind, requiresGrad, init, null);
      long numel;
      try {
        numel = stored.numel();
      } catch (ArithmeticException overflow) {
        throw new InvalidInput(at + ".shape", "has more elements than fit in 64 bits");
      }
      if (numel > limits.maxTotalNumel() - totalNumel) {
        throw new InvalidInput(
            at + ".shape",
            "brings the architecture to more than "
                + limits.maxTotalNumel()
                + " elements, the limit");
      }
      totalNumel += numel;
      out.add(stored);
    }
    return out;
  }

  /**
   * Checks text a client wrote: no U+0000 (PostgreSQL refuses it) and no lone surrogate (it has no
   * UTF-8 form, so what is stored would differ from what was sent).
   *
   * @return its length in UTF-8 bytes
   */
  private static int checkText(String field, String value) {
    int bytes = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == 0) {
        throw new InvalidInput(field, "must not contain U+0000");
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidInput(field, "is not valid Unicode (it holds a lone surrogate)");
      } else {
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    return bytes;
  }

  /** Client text quoted in a message, cut short so a message stays small. */
  private static String abbreviate(String text) {
    return text == null
        ? "null"
        : "'" + (text.length() <= 64 ? text : text.substring(0, 61) + "...") + "'";
  }

  /** PyTorch's layer default for weights (kaiming_uniform with a = sqrt(5)); zeros otherwise. */
  /** A JSON entry is a parameter unless it says it is a buffer; it cannot be of unknown kind. */
  private static EntryKind kind(String at, String kind) {
    if (kind == null || kind.equals(EntryKind.PARAMETER.name())) {
      return EntryKind.PARAMETER;
    }
    if (kind.equals(EntryKind.BUFFER.name())) {
      return EntryKind.BUFFER;
    }
    throw new InvalidInput(at + ".kind", "must be PARAMETER or BUFFER, was " + abbreviate(kind));
  }

  private static Map<String, Object> defaultInit(EntryKind kind, DType dtype, List<Long> shape) {
    if (kind == EntryKind.PARAMETER && ArchitectureService.floating(dtype) && shape.size() >= 2) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("scheme", InitScheme.KAIMING_UNIFORM.wireName());
      m.put("a", Math.sqrt(5));
      return m;
    }
    return Map.of("scheme", InitScheme.ZEROS.wireName());
  }

  /**
   * Checks an init scheme against {@link InitScheme}: a known name, only its parameters, each a
   * finite number, the required ones given, a dtype and rank the scheme can work with, and values
   * it accepts. Numbers Jackson read as something other than an int, a long or a double are stored
   * as doubles.
   */
  private static void validateInit(
      String at, Map<String, Object> init, DType dtype, List<Long> shape) {
    Object name = init.get("scheme");
    InitScheme scheme = name instanceof String text ? InitScheme.byName(text).orElse(null) : null;
    if (scheme == null) {
      throw new InvalidInput(
          at + ".scheme",
          "must be one of "
              + InitScheme.names()
              + ", was "
              + (name instanceof String text ? abbreviate(text) : name));
    }
    Map<String, Double> values = new LinkedHashMap<>();
    for (Map.Entry<String, Object> p : init.entrySet()) {
      if (p.getKey().equals("scheme")) {
        continue;
      }
      if (scheme.parameter(p.getKey()).isEmpty()) {
        String param = p.getKey();
        throw new InvalidInput(
            at + "." + (param.length() <= 64 ? param : param.substring(0, 61) + "..."),
            "is not a parameter of '" + scheme + "' (it takes " + scheme.parameterNames() + ")");
      }
      if (!(p.getValue() instanceof Number number)) {
        throw new InvalidInput(at + "." + p.getKey(), "must be a number");
      }
      if (!Double.isFinite(number.doubleValue())) {
        throw new InvalidInput(
            at + "." + p.getKey(),
            "must be a finite number (JSON reads 1e999 and a 400-digit integer as infinite)");
      }
      if (!(number instanceof Integer || number instanceof Long || number instanceof Double)) {
        // What is stored is read back as a double anyway; a 300-digit integer would be stored
        // as 300 digits.
        p.setValue(number.doubleValue());
      }
      values.put(p.getKey(), number.doubleValue());
    }
    for (InitScheme.Parameter p : scheme.parameters()) {
      if (p.defaultValue() == null && !values.containsKey(p.name())) {
        throw new InvalidInput(at + "." + p.name(), "is required by '" + scheme + "'");
      }
    }
    if (scheme.random() && !ArchitectureService.floating(dtype)) {
      throw new InvalidInput(
          at + ".scheme",
          "'" + scheme + "' needs a floating-point dtype, not " + dtype.torchName());
    }
    if (scheme.needsFans() && shape.size() < 2) {
      throw new InvalidInput(
          at + ".scheme",
          "'"
              + scheme
              + "' needs at least 2 dimensions to compute fan in and fan out, shape was "
              + shape);
    }
    Optional<InitScheme.Refusal> refused = scheme.refuse(new Init(scheme, values));
    if (refused.isPresent()) {
      throw new InvalidInput(at + "." + refused.get().parameter(), refused.get().reason());
    }
  }

  static Map<String, Object> toJson(StoredEntry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", e.key());
    m.put("dtype", e.dtype().torchName());
    m.put("shape", e.shape());
    m.put("kind", e.kind());
    m.put("requiresGrad", e.requiresGrad());
    m.put("init", e.init());
    return m;
  }

  /**
   * Reads a shape as written: an array of whole numbers of 0 or more, nothing Jackson would coerce
   * into one ({@code 1.5} and {@code 2.0} truncated, {@code "3"} parsed, {@code -0} made 0), and at
   * most {@value #MAX_PARSED_RANK} of them.
   */
  static final class Sizes extends ValueDeserializer<List<Long>> {
    @Override
    public List<Long> deserialize(JsonParser p, DeserializationContext ctxt) {
      if (!p.isExpectedStartArrayToken()) {
        return ctxt.reportInputMismatch(this, "must be an array of sizes such as [10, 512]");
      }
      List<Long> sizes = new ArrayList<>();
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        int i = sizes.size();
        if (i >= MAX_PARSED_RANK) {
          return ctxt.reportInputMismatch(
              this, "has more than %s sizes, the most a shape may have", MAX_PARSED_RANK);
        }
        if (t == JsonToken.VALUE_NULL) {
          sizes.add(null);
          continue;
        }
        String text = t.isScalarValue() ? p.getString() : t.asString();
        text = text.length() <= 40 ? text : text.substring(0, 37) + "...";
        if (t != JsonToken.VALUE_NUMBER_INT) {
          return ctxt.reportInputMismatch(
              this,
              "size %s is %s: sizes must be whole numbers written without a fraction, exponent"
                  + " or quotes",
              i,
              text);
        }
        if (text.startsWith("-")) {
          return ctxt.reportInputMismatch(
              this,
              "size %s is %s: sizes must be 0 or more%s",
              i,
              text,
              text.equals("-0") ? " (-0 is not taken for 0)" : "");
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          return ctxt.reportInputMismatch(this, "size %s is %s: too large", i, text);
        }
        sizes.add(p.getLongValue());
      }
      return sizes;
    }
  }

  /**
   * Reads the entry list, refusing it as soon as it holds more than {@value #MAX_PARSED_ENTRIES}
   * entries, before the rest is read into memory.
   */
  static final class Entries extends ValueDeserializer<List<ArchitectureDocument.Entry>> {
    @Override
    public List<ArchitectureDocument.Entry> deserialize(JsonParser p, DeserializationContext ctxt) {
      if (!p.isExpectedStartArrayToken()) {
        return ctxt.reportInputMismatch(this, "must be an array of entries");
      }
      List<ArchitectureDocument.Entry> entries = new ArrayList<>();
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (entries.size() >= MAX_PARSED_ENTRIES) {
          return ctxt.reportInputMismatch(
              this,
              "holds more than %s entries, the most a JSON architecture may have",
              MAX_PARSED_ENTRIES);
        }
        try {
          entries.add(
              t == JsonToken.VALUE_NULL
                  ? null
                  : ctxt.readValue(p, ArchitectureDocument.Entry.class));
        } catch (JacksonException e) {
          throw e.prependPath(entries, entries.size());
        }
      }
      return entries;
    }
  }
}
