package dev.graft.plan;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The init schemes a JSON architecture entry may name, each with everything about it that is not
 * arithmetic: its name in the API, its parameters and their defaults, whether it draws random
 * values (and so needs a floating-point dtype), whether it computes fans (and so needs at least two
 * dimensions), and which parameter values it refuses. The JSON validator checks entries against
 * this and the tensor engine switches over it exhaustively, so a new scheme is one constant here
 * plus the arithmetic the compiler then asks the engine for.
 */
public enum InitScheme {
  /** All zeros. */
  ZEROS("zeros", Draws.NOTHING),
  /** All ones. */
  ONES("ones", Draws.NOTHING),
  /** {@code value} everywhere; no default. */
  CONSTANT("constant", Draws.NOTHING, required("value")),
  /** Normal with {@code mean} (0) and {@code std} (1, at least 0). */
  NORMAL("normal", Draws.RANDOM, optional("mean", 0.0), optional("std", 1.0)) {
    @Override
    public Optional<Refusal> refuse(Init init) {
      return init.value("std") < 0
          ? Optional.of(new Refusal("std", "must be 0 or more"))
          : Optional.empty();
    }
  },
  /** Uniform on {@code [a, b)}, {@code a} (0) not above {@code b} (1). */
  UNIFORM("uniform", Draws.RANDOM, optional("a", 0.0), optional("b", 1.0)) {
    @Override
    public Optional<Refusal> refuse(Init init) {
      return init.value("a") > init.value("b")
          ? Optional.of(new Refusal("a", "must not exceed b"))
          : Optional.empty();
    }
  },
  /**
   * He uniform with negative slope {@code a} (0; PyTorch's Linear and Conv weights use √5), from
   * the fan in.
   */
  KAIMING_UNIFORM("kaiming_uniform", Draws.RANDOM_FROM_FANS, optional("a", 0.0)),
  /** Glorot uniform scaled by {@code gain} (1), from the fans in and out. */
  XAVIER_UNIFORM("xavier_uniform", Draws.RANDOM_FROM_FANS, optional("gain", 1.0));

  /** What a scheme draws: nothing random, random values, or random values bounded by fans. */
  private enum Draws {
    NOTHING,
    RANDOM,
    RANDOM_FROM_FANS
  }

  /**
   * A parameter of a scheme.
   *
   * @param name its name in the API
   * @param defaultValue its value when absent, or {@code null} when it must be given
   */
  public record Parameter(String name, Double defaultValue) {}

  /**
   * A parameter value a scheme refuses.
   *
   * @param parameter the parameter's name
   * @param reason what is wrong, for a person
   */
  public record Refusal(String parameter, String reason) {}

  private final String wireName;
  private final Draws draws;
  private final List<Parameter> parameters;

  InitScheme(String wireName, Draws draws, Parameter... parameters) {
    this.wireName = wireName;
    this.draws = draws;
    this.parameters = List.of(parameters);
  }

  private static Parameter required(String name) {
    return new Parameter(name, null);
  }

  private static Parameter optional(String name, double defaultValue) {
    return new Parameter(name, defaultValue);
  }

  /** The scheme's name in the API, e.g. {@code kaiming_uniform}. */
  public String wireName() {
    return wireName;
  }

  /** The scheme's parameters, in the order the API documents them. */
  public List<Parameter> parameters() {
    return parameters;
  }

  /** The parameters' names, in order. */
  public List<String> parameterNames() {
    return parameters.stream().map(Parameter::name).toList();
  }

  /** The parameter of this name, if the scheme has one. */
  public Optional<Parameter> parameter(String name) {
    return parameters.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** Whether it draws random values, which PyTorch allows only for floating-point tensors. */
  public boolean random() {
    return draws != Draws.NOTHING;
  }

  /** Whether it computes fan in and fan out, which needs at least two dimensions. */
  public boolean needsFans() {
    return draws == Draws.RANDOM_FROM_FANS;
  }

  /**
   * The first parameter value this scheme refuses, beyond being a finite number (checked by whoever
   * reads them), e.g. a negative {@code std}.
   *
   * @param init this scheme with the values given
   */
  public Optional<Refusal> refuse(Init init) {
    return Optional.empty();
  }

  /** The scheme of this API name, if there is one. */
  public static Optional<InitScheme> byName(String name) {
    return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst();
  }

  /** Every scheme's API name, sorted, for messages. */
  public static List<String> names() {
    return List.copyOf(new TreeSet<>(Arrays.stream(values()).map(InitScheme::wireName).toList()));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
