package dev.graft.shared;

/**
 * A resource cannot be deleted while something still uses it: a checkpoint or architecture named by
 * a version's lineage or by a queued or running run, a version an alias points at.
 */
public class StillInUse extends StateConflict {

  /**
   * A refusal.
   *
   * @param message what uses the resource and what to do first, e.g. {@code model 'm' version 3 is
   *     what alias 'prod' points at; move or delete it first}
   */
  public StillInUse(String message) {
    super(message);
  }
}
