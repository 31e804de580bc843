package dev.graft.shared;

/**
 * A conditional change found the resource in another state than the client last read (an {@code
 * If-Match} that no longer matches): applying it could overwrite a change the client has not seen,
 * so nothing was changed.
 */
public class ResourceChanged extends RuntimeException {

  /**
   * A refusal.
   *
   * @param message what changed, for a person: the resource and what to do
   */
  public ResourceChanged(String message) {
    super(message);
  }
}
