package dev.graft.security;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a token may do. Each scope includes the ones below it: {@code admin} ⊃ {@code write} ⊃
 * {@code read}.
 */
public enum Scope {
  /** Every {@code GET} and {@code POST /api/v1/previews}. */
  READ,
  /** {@code read}, plus uploads, runs, cancels, edits, alias moves and deletes. */
  WRITE,
  /** {@code write}, plus tokens and the audit log. */
  ADMIN;

  /** The scope's name on the wire: {@code read}, {@code write}, {@code admin}. */
  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The authority a request needs for this scope (the wire name). */
  String authority() {
    return wireName();
  }

  /** This scope and every scope it includes. */
  public Set<Scope> withIncluded() {
    return EnumSet.range(READ, this);
  }

  /**
   * The scope with this wire name.
   *
   * @throws IllegalArgumentException when there is none
   */
  public static Scope fromWireName(String name) {
    for (Scope s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(name);
  }
}
