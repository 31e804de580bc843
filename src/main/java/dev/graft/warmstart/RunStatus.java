package dev.graft.warmstart;

import dev.graft.shared.InvalidInput;
import java.util.Arrays;
import java.util.List;

/**
 * Where a run is in its life: {@code QUEUED} until a worker claims it, {@code RUNNING} while one
 * holds its lease, then one of the three ends. The names are the API's and the database's.
 */
public enum RunStatus {
  /** Waiting for a worker (again, after a fault that left attempts). */
  QUEUED,
  /** A worker holds its lease and is executing it. */
  RUNNING,
  /** It registered its model version. */
  SUCCEEDED,
  /** It cannot succeed: a strict plan that does not fit, a permanent error, no attempts left. */
  FAILED,
  /** A cancel was asked for before it ended. */
  CANCELLED;

  private static final List<String> NAMES = Arrays.stream(values()).map(Enum::name).toList();

  /**
   * A status a client named, as in {@code ?status=RUNNING}.
   *
   * @param field the parameter that named it, for the refusal
   * @throws InvalidInput when the name is none of the statuses
   */
  public static RunStatus parse(String field, String name) {
    for (RunStatus s : values()) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new InvalidInput(
        field, "must be one of " + NAMES + ", was " + dev.graft.shared.Texts.quote(name));
  }
}
