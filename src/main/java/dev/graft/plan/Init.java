package dev.graft.plan;

import java.util.Map;
import java.util.Objects;

/**
 * How a JSON architecture entry is initialised when the architecture carries no values: a scheme
 * and the parameter values given for it.
 *
 * @param scheme the scheme
 * @param params the values given, by parameter name; absent ones take the scheme's defaults
 */
public record Init(InitScheme scheme, Map<String, Double> params) {

  /** Checks the scheme is named and copies the values. */
  public Init {
    Objects.requireNonNull(scheme, "scheme");
    params = params == null ? Map.of() : Map.copyOf(params);
  }

  /**
   * An init by the scheme's API name.
   *
   * @throws IllegalArgumentException when no scheme has that name
   */
  public static Init of(String scheme, Map<String, Double> params) {
    return new Init(
        InitScheme.byName(scheme)
            .orElseThrow(
                () -> new IllegalArgumentException("unknown init scheme '" + scheme + "'")),
        params);
  }

  /**
   * A parameter's value: the one given, else the scheme's default.
   *
   * @throws IllegalArgumentException when the scheme has no such parameter, or it has no default
   *     and was not given
   */
  public double value(String name) {
    InitScheme.Parameter p =
        scheme
            .parameter(name)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "init scheme '" + scheme + "' has no parameter '" + name + "'"));
    Double v = params.containsKey(name) ? params.get(name) : p.defaultValue();
    if (v == null) {
      throw new IllegalArgumentException(
          "init scheme '" + scheme + "' needs parameter '" + name + "'");
    }
    return v;
  }
}
