package dev.graft.plan;

/**
 * A request's {@code sources} cannot be used: a source's key rules or globs are invalid, or its
 * globs leave it nothing to offer. Unlike its parent, {@link #field()} is relative to the request
 * body ({@code sources[1].include}), not to the options.
 */
public class SourcesRejected extends LoadOptionsRejected {

  /**
   * A refusal.
   *
   * @param field the body field at fault, e.g. {@code sources[1].include}
   * @param reason what is wrong, for a person to act on
   */
  public SourcesRejected(String field, String reason) {
    super(field, reason);
  }

  /** {@code e} moved under {@code prefix} ({@code sources[1]}), relative to the body. */
  static SourcesRejected under(String prefix, LoadOptionsRejected e) {
    return new SourcesRejected(e.field().isEmpty() ? prefix : prefix + "." + e.field(), e.reason());
  }
}
