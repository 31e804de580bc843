package dev.graft.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A coverage requirement: at least {@code minLoadedFraction} of the target's elements under {@code
 * prefix} must come from the checkpoint, or the plan fails whatever {@code strict} says. "Under"
 * means the target key starts with the prefix ({@code encoder.} covers {@code encoder.0.weight});
 * the empty prefix covers the whole model.
 *
 * @param prefix the target-key prefix the gate covers
 * @param minLoadedFraction the lowest acceptable {@code loadedNumel / targetNumel} under the
 *     prefix, in {@code [0, 1]}
 */
public record CoverageGate(String prefix, double minLoadedFraction) {

  /**
   * Checks the prefix's text and the fraction's range.
   *
   * @throws LoadOptionsRejected naming {@code prefix} or {@code minLoadedFraction}
   */
  public CoverageGate {
    KeyRules.checkText("prefix", prefix, true);
    if (!(minLoadedFraction >= 0.0 && minLoadedFraction <= 1.0)) {
      throw new LoadOptionsRejected(
          "minLoadedFraction", "must be between 0 and 1, got " + minLoadedFraction);
    }
  }

  /** A gate as the API states it; both fields are required. */
  @JsonCreator
  public static CoverageGate of(
      @JsonProperty("prefix") String prefix,
      @JsonProperty("minLoadedFraction") Double minLoadedFraction) {
    if (minLoadedFraction == null) {
      throw new LoadOptionsRejected("minLoadedFraction", "is required");
    }
    return new CoverageGate(prefix, minLoadedFraction);
  }
}
