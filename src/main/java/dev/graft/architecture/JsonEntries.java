package dev.graft.architecture;

import dev.graft.architecture.internal.StoredEntry;
import dev.graft.format.DType;
import dev.graft.shared.BadRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Validation of JSON entries, one place for every rule. */
final class JsonEntries {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final Set<String> SCHEMES =
      Set.of("zeros", "ones", "constant", "normal", "uniform", "kaiming_uniform", "xavier_uniform");
  private static final Map<String, Set<String>> PARAMS =
      Map.of(
          "zeros", Set.of(),
          "ones", Set.of(),
          "constant", Set.of("value"),
          "normal", Set.of("mean", "std"),
          "uniform", Set.of("a", "b"),
          "kaiming_uniform", Set.of("a"),
          "xavier_uniform", Set.of("gain"));

  private JsonEntries() {}

  static List<StoredEntry> validate(ArchitectureDocument doc) {
    if (doc.name() == null || doc.name().isBlank() || doc.name().length() > 255) {
      throw new BadRequest("name", "is required, at most 255 characters");
    }
    if (doc.entries() == null) {
      throw new BadRequest("entries", "is required");
    }
    Set<String> keys = new HashSet<>();
    List<StoredEntry> out = new ArrayList<>();
    for (int i = 0; i < doc.entries().size(); i++) {
      ArchitectureDocument.Entry e = doc.entries().get(i);
      String at = "entries[" + i + "]";
      if (e == null || e.key() == null || e.key().isEmpty()) {
        throw new BadRequest(at + ".key", "is required");
      }
      if (!keys.add(e.key())) {
        throw new BadRequest(at + ".key", "'" + e.key() + "' appears twice");
      }
      DType dtype =
          DType.byTorchName(e.dtype() == null ? "" : e.dtype())
              .orElseThrow(
                  () ->
                      new BadRequest(
                          at + ".dtype",
                          "'" + e.dtype() + "' is not a torch dtype name such as float32"));
      if (e.shape() == null) {
        throw new BadRequest(at + ".shape", "is required ([] for a 0-dim entry)");
      }
      for (Long s : e.shape()) {
        if (s == null || s < 0) {
          throw new BadRequest(at + ".shape", "sizes must be 0 or more, was " + e.shape());
        }
      }
      String kind = e.kind() == null ? "PARAMETER" : e.kind();
      if (!kind.equals("PARAMETER") && !kind.equals("BUFFER")) {
        throw new BadRequest(at + ".kind", "must be PARAMETER or BUFFER, was '" + kind + "'");
      }
      boolean requiresGrad = e.requiresGrad() != null ? e.requiresGrad() : kind.equals("PARAMETER");
      if (requiresGrad && !ArchitectureService.floating(dtype)) {
        throw new BadRequest(
            at + ".requiresGrad",
            "only floating-point entries can require gradients (" + dtype.torchName() + ")");
      }
      Map<String, Object> init = e.init() != null ? e.init() : defaultInit(kind, dtype, e.shape());
      validateInit(at + ".init", init, dtype, e.shape());
      StoredEntry stored =
          new StoredEntry(
              e.key(), dtype, e.shape(), kind, requiresGrad, JSON.writeValueAsString(init), null);
      try {
        stored.numel();
      } catch (ArithmeticException overflow) {
        throw new BadRequest(at + ".shape", "has more elements than fit in 64 bits");
      }
      out.add(stored);
    }
    return out;
  }

  /** PyTorch's layer default for weights (kaiming_uniform with a = sqrt(5)); zeros otherwise. */
  private static Map<String, Object> defaultInit(String kind, DType dtype, List<Long> shape) {
    if (kind.equals("PARAMETER") && ArchitectureService.floating(dtype) && shape.size() >= 2) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("scheme", "kaiming_uniform");
      m.put("a", Math.sqrt(5));
      return m;
    }
    return Map.of("scheme", "zeros");
  }

  private static void validateInit(
      String at, Map<String, Object> init, DType dtype, List<Long> shape) {
    Object scheme = init.get("scheme");
    if (!(scheme instanceof String s) || !SCHEMES.contains(s)) {
      throw new BadRequest(
          at + ".scheme", "must be one of " + new java.util.TreeSet<>(SCHEMES) + ", was " + scheme);
    }
    for (Map.Entry<String, Object> p : init.entrySet()) {
      if (p.getKey().equals("scheme")) {
        continue;
      }
      if (!PARAMS.get(s).contains(p.getKey())) {
        throw new BadRequest(
            at + "." + p.getKey(),
            "is not a parameter of '" + s + "' (it takes " + PARAMS.get(s) + ")");
      }
      if (!(p.getValue() instanceof Number)) {
        throw new BadRequest(at + "." + p.getKey(), "must be a number");
      }
    }
    if (s.equals("constant") && !init.containsKey("value")) {
      throw new BadRequest(at + ".value", "is required by 'constant'");
    }
    boolean random =
        s.equals("normal")
            || s.equals("uniform")
            || s.equals("kaiming_uniform")
            || s.equals("xavier_uniform");
    if (random && !ArchitectureService.floating(dtype)) {
      throw new BadRequest(
          at + ".scheme", "'" + s + "' needs a floating-point dtype, not " + dtype.torchName());
    }
    if ((s.equals("kaiming_uniform") || s.equals("xavier_uniform")) && shape.size() < 2) {
      throw new BadRequest(
          at + ".scheme",
          "'"
              + s
              + "' needs at least 2 dimensions to compute fan in and fan out, shape was "
              + shape);
    }
    if (s.equals("normal") && init.get("std") instanceof Number std && std.doubleValue() < 0) {
      throw new BadRequest(at + ".std", "must be 0 or more");
    }
    if (s.equals("uniform")) {
      double a = init.get("a") instanceof Number n ? n.doubleValue() : 0;
      double b = init.get("b") instanceof Number n ? n.doubleValue() : 1;
      if (a > b) {
        throw new BadRequest(at + ".a", "must not exceed b");
      }
    }
  }

  static Map<String, Object> toJson(StoredEntry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", e.key());
    m.put("dtype", e.dtype().torchName());
    m.put("shape", e.shape());
    m.put("kind", e.kind());
    m.put("requiresGrad", e.requiresGrad());
    m.put("init", JSON.readValue(e.initJson(), new TypeReference<Map<String, Object>>() {}));
    return m;
  }
}
