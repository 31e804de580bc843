package dev.graft.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * How a checkpoint is loaded into a target. {@link #defaults()} reproduces {@code
 * model.load_state_dict(state_dict)}.
 *
 * @param strict PyTorch's {@code strict}: fail on any missing or unexpected key
 * @param keyRules rewrites applied, in order, to checkpoint keys before matching
 * @param onShapeMismatch what a shape mismatch does
 * @param dtype which dtype loaded entries end up with
 * @param freeze glob patterns ({@code *} matches any run of characters, dots included): matching
 *     target entries get {@code requiresGrad=false}
 * @param initSeed the seed for init schemes
 */
public record LoadOptions(
    boolean strict,
    List<KeyRule> keyRules,
    ShapeMismatchPolicy onShapeMismatch,
    DtypePolicy dtype,
    List<String> freeze,
    long initSeed) {

  /** Copies the lists; a {@code null} list or policy takes its default. */
  public LoadOptions {
    keyRules = keyRules == null ? List.of() : List.copyOf(keyRules);
    onShapeMismatch = onShapeMismatch == null ? ShapeMismatchPolicy.FAIL : onShapeMismatch;
    dtype = dtype == null ? DtypePolicy.TARGET : dtype;
    freeze = freeze == null ? List.of() : List.copyOf(freeze);
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
      @JsonProperty("initSeed") Long initSeed) {
    return new LoadOptions(
        strict == null || strict,
        keyRules,
        onShapeMismatch,
        dtype,
        freeze,
        initSeed == null ? 0L : initSeed);
  }

  /**
   * PyTorch's defaults: strict, no key rules, fail on mismatch, cast to the target, nothing frozen.
   */
  public static LoadOptions defaults() {
    return new LoadOptions(
        true, List.of(), ShapeMismatchPolicy.FAIL, DtypePolicy.TARGET, List.of(), 0L);
  }

  /** These options with {@code strict} replaced. */
  public LoadOptions withStrict(boolean value) {
    return new LoadOptions(value, keyRules, onShapeMismatch, dtype, freeze, initSeed);
  }

  /** These options with the key rules replaced. */
  public LoadOptions withKeyRules(List<KeyRule> value) {
    return new LoadOptions(strict, value, onShapeMismatch, dtype, freeze, initSeed);
  }

  /** These options with the shape-mismatch policy replaced. */
  public LoadOptions withOnShapeMismatch(ShapeMismatchPolicy value) {
    return new LoadOptions(
        strict, keyRules, Objects.requireNonNull(value), dtype, freeze, initSeed);
  }

  /** These options with the dtype policy replaced. */
  public LoadOptions withDtype(DtypePolicy value) {
    return new LoadOptions(
        strict, keyRules, onShapeMismatch, Objects.requireNonNull(value), freeze, initSeed);
  }

  /** These options with the freeze patterns replaced. */
  public LoadOptions withFreeze(List<String> value) {
    return new LoadOptions(strict, keyRules, onShapeMismatch, dtype, value, initSeed);
  }
}
