package dev.graft.events;

import java.util.Arrays;
import java.util.Optional;

/** What an event reports; the wire names are those webhooks subscribe to. */
public enum EventType {
  /** A run ended SUCCEEDED (written by the run table's trigger). */
  RUN_SUCCEEDED("run.succeeded"),
  /** A run ended FAILED (written by the run table's trigger). */
  RUN_FAILED("run.failed"),
  /** A run ended CANCELLED (written by the run table's trigger). */
  RUN_CANCELLED("run.cancelled"),
  /** A model version was registered. */
  VERSION_CREATED("version.created"),
  /** A model version was deleted. */
  VERSION_DELETED("version.deleted"),
  /** An alias was set, moved, or deleted (then its {@code version} is {@code null}). */
  ALIAS_MOVED("alias.moved");

  private final String wireName;

  EventType(String wireName) {
    this.wireName = wireName;
  }

  /** The name in the API, in {@code X-Graft-Event} and in the outbox. */
  public String wireName() {
    return wireName;
  }

  /** The type with this wire name. */
  public static Optional<EventType> byWireName(String name) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
  }
}
