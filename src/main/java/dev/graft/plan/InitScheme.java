package dev.graft.plan;

import java.util.Map;
import java.util.Objects;

/**
 * How a JSON architecture entry is initialised when the architecture carries no values.
 *
 * <p>Schemes and their parameters: {@code zeros}, {@code ones}, {@code constant {value}}, {@code
 * normal {mean, std}}, {@code uniform {a, b}}, {@code kaiming_uniform {a}}, {@code xavier_uniform
 * {gain}}.
 *
 * @param scheme the scheme's name as the API spells it
 * @param params the scheme's parameters by name; empty when it has none
 */
public record InitScheme(String scheme, Map<String, Double> params) {

  /** Checks the scheme is named and copies the parameters. */
  public InitScheme {
    Objects.requireNonNull(scheme, "scheme");
    params = params == null ? Map.of() : Map.copyOf(params);
  }
}
