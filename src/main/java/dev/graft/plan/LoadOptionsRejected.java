package dev.graft.plan;

/**
 * Load options that cannot be used: a key rule or freeze pattern that is invalid, too large or
 * outside what the linear-time matcher runs, or options whose work on a given checkpoint exceeds
 * the planner's limits.
 *
 * <p>{@link #field()} names the offending option relative to the options object ({@code
 * keyRules[3].replacement}, {@code freeze[0]}, {@code keyRules}), so a caller that received the
 * options under {@code options} reports {@code options.keyRules[3].replacement}. It extends {@link
 * IllegalArgumentException} so code that treats bad arguments as permanent failures (a run is not
 * retried) keeps doing so.
 */
public class LoadOptionsRejected extends IllegalArgumentException {

  private final String field;
  private final String reason;

  /**
   * A refusal.
   *
   * @param field the option at fault, relative to the options object; {@code ""} for a rule itself
   * @param reason what is wrong, for a person to act on
   */
  public LoadOptionsRejected(String field, String reason) {
    super(field.isEmpty() ? reason : field + ": " + reason);
    this.field = field;
    this.reason = reason;
  }

  /** The option at fault, e.g. {@code keyRules[3].replacement}; {@code ""} for a rule itself. */
  public String field() {
    return field;
  }

  /** What is wrong, without the field. */
  public String reason() {
    return reason;
  }

  /** The same refusal for a field nested under {@code prefix} ({@code keyRules[3]}). */
  LoadOptionsRejected under(String prefix) {
    return new LoadOptionsRejected(field.isEmpty() ? prefix : prefix + "." + field, reason);
  }
}
