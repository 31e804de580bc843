package dev.graft.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Objects;

/**
 * How a checkpoint is loaded into a target. {@link #defaults()} reproduces {@code
 * model.load_state_dict(state_dict)}.
 *
 * <p>Options are checked when they are built, whoever builds them (a request body through Jackson,
 * a stored run, code): at most {@value #MAX_KEY_RULES} key rules and {@value #MAX_FREEZE_GLOBS}
 * freeze patterns, each prefix, pattern, replacement and freeze pattern at most {@value
 * #MAX_TEXT_BYTES} bytes of UTF-8 without U+0000, regular expressions that the linear-time engine
 * runs, and replacements whose group references exist. A failed check is a {@link
 * LoadOptionsRejected} naming the option ({@code keyRules[3].replacement}, {@code freeze[0]}).
 *
 * @param strict PyTorch's {@code strict}: fail on any missing or unexpected key
 * @param keyRules rewrites applied, in order, to checkpoint keys before matching
 * @param onShapeMismatch what a shape mismatch does
 * @param dtype which dtype loaded entries end up with
 * @param freeze glob patterns ({@code *} matches any run of characters, dots included): matching
 *     target entries get {@code requiresGrad=false}
 * @param initSeed the seed for init schemes
 * @param require coverage gates: a plan that loads less than a gate asks for under its prefix
 *     fails, whatever {@code strict} says
 */
@Schema(
    description =
        "How a checkpoint is loaded; every field may be left out, and the defaults reproduce"
            + " model.load_state_dict(state_dict)")
public record LoadOptions(
    @Schema(
            description = "PyTorch's strict: fail on any missing or unexpected key",
            defaultValue = "true")
        boolean strict,
    @Schema(description = "Rewrites applied, in order, to checkpoint keys before matching")
        List<KeyRule> keyRules,
    @Schema(description = "What a shape mismatch does", defaultValue = "FAIL")
        ShapeMismatchPolicy onShapeMismatch,
    @Schema(
            description =
                "TARGET casts loaded entries to the architecture's dtype; CHECKPOINT keeps"
                    + " the checkpoint's",
            defaultValue = "TARGET")
        DtypePolicy dtype,
    @Schema(
            description =
                "Glob patterns (* matches any run of characters, dots included): matching target"
                    + " entries get requiresGrad=false",
            example = "[\"backbone.*\"]")
        List<String> freeze,
    @Schema(description = "The seed for init schemes", defaultValue = "0") long initSeed,
    // Left out when empty, so options stored before gates existed hash and read as they did.
    @Schema(
            description =
                "Coverage gates: a plan that loads less than a gate asks for under its prefix"
                    + " fails, whatever strict says")
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        List<CoverageGate> require) {

  /** Key rules in one set of options. */
  public static final int MAX_KEY_RULES = 64;

  /** Freeze patterns in one set of options. */
  public static final int MAX_FREEZE_GLOBS = 64;

  /** Coverage gates in one set of options. */
  public static final int MAX_COVERAGE_GATES = 64;

  /** UTF-8 bytes in one prefix, pattern, replacement or freeze pattern. */
  public static final int MAX_TEXT_BYTES = 1024;

  /**
   * UTF-8 bytes a key rule may grow a key to (a rule that does not lengthen a key never fails on
   * it); the limit on any stored key.
   */
  public static final int MAX_KEY_BYTES = 1024;

  /**
   * Copies the lists, a {@code null} list or policy taking its default, and checks the rules and
   * patterns.
   *
   * @throws LoadOptionsRejected naming the first option that is invalid
   */
  public LoadOptions {
    keyRules = keyRules == null ? List.of() : copy(keyRules);
    // Counts first: compiling thousands of rules would itself be the expense the limit prevents.
    KeyRules.compileAll(keyRules);
    onShapeMismatch = onShapeMismatch == null ? ShapeMismatchPolicy.FAIL : onShapeMismatch;
    dtype = dtype == null ? DtypePolicy.TARGET : dtype;
    freeze = freeze == null ? List.of() : copy(freeze);
    Globs.compile(freeze);
    require = require == null ? List.of() : copy(require);
    if (require.size() > MAX_COVERAGE_GATES) {
      throw new LoadOptionsRejected(
          "require", "at most " + MAX_COVERAGE_GATES + " gates are allowed, got " + require.size());
    }
    for (int i = 0; i < require.size(); i++) {
      if (require.get(i) == null) {
        throw new LoadOptionsRejected("require[" + i + "]", "is required, not null");
      }
    }
  }

  /** Options without coverage gates. */
  public LoadOptions(
      boolean strict,
      List<KeyRule> keyRules,
      ShapeMismatchPolicy onShapeMismatch,
      DtypePolicy dtype,
      List<String> freeze,
      long initSeed) {
    this(strict, keyRules, onShapeMismatch, dtype, freeze, initSeed, List.of());
  }

  /** An unmodifiable copy that, unlike {@link List#copyOf}, keeps nulls for the checks to name. */
  private static <T> List<T> copy(List<T> list) {
    return java.util.Collections.unmodifiableList(new java.util.ArrayList<>(list));
  }

  /**
   * Options as the API states them, any field left out taking its default ({@code strict} is {@code
   * true}, as in PyTorch). The annotations let Jackson read a request body straight into options.
   */
  @JsonCreator
  public static LoadOptions of(
      @JsonProperty("strict") Boolean strict,
      @JsonProperty("keyRules") List<KeyRule> keyRules,
      @JsonProperty("onShapeMismatch") ShapeMismatchPolicy onShapeMismatch,
      @JsonProperty("dtype") DtypePolicy dtype,
      @JsonProperty("freeze") List<String> freeze,
      @JsonProperty("initSeed") Long initSeed,
      @JsonProperty("require") List<CoverageGate> require) {
    return new LoadOptions(
        strict == null || strict,
        keyRules,
        onShapeMismatch,
        dtype,
        freeze,
        initSeed == null ? 0L : initSeed,
        require);
  }

  /**
   * PyTorch's defaults: strict, no key rules, fail on mismatch, cast to the target, nothing frozen.
   */
  public static LoadOptions defaults() {
    return new LoadOptions(
        true, List.of(), ShapeMismatchPolicy.FAIL, DtypePolicy.TARGET, List.of(), 0L, List.of());
  }

  /** These options with {@code strict} replaced. */
  public LoadOptions withStrict(boolean value) {
    return new LoadOptions(value, keyRules, onShapeMismatch, dtype, freeze, initSeed, require);
  }

  /** These options with the key rules replaced. */
  public LoadOptions withKeyRules(List<KeyRule> value) {
    return new LoadOptions(strict, value, onShapeMismatch, dtype, freeze, initSeed, require);
  }

  /** These options with the shape-mismatch policy replaced. */
  public LoadOptions withOnShapeMismatch(ShapeMismatchPolicy value) {
    return new LoadOptions(
        strict, keyRules, Objects.requireNonNull(value), dtype, freeze, initSeed, require);
  }

  /** These options with the dtype policy replaced. */
  public LoadOptions withDtype(DtypePolicy value) {
    return new LoadOptions(
        strict,
        keyRules,
        onShapeMismatch,
        Objects.requireNonNull(value),
        freeze,
        initSeed,
        require);
  }

  /** These options with the freeze patterns replaced. */
  public LoadOptions withFreeze(List<String> value) {
    return new LoadOptions(strict, keyRules, onShapeMismatch, dtype, value, initSeed, require);
  }

  /** These options with the coverage gates replaced. */
  public LoadOptions withRequire(List<CoverageGate> value) {
    return new LoadOptions(strict, keyRules, onShapeMismatch, dtype, freeze, initSeed, value);
  }
}
