package dev.graft.shared.web;

import dev.graft.shared.InvalidInput;

/** The name an upload is stored under: the {@code name} parameter, else the multipart file name. */
public final class UploadName {

  private UploadName() {}

  /**
   * Picks and checks the name.
   *
   * @throws InvalidInput when neither is given or the name is longer than 255 characters
   */
  public static String of(String name, String filename) {
    String n = name != null && !name.isBlank() ? name : filename;
    if (n == null || n.isBlank()) {
      throw new InvalidInput("name", "is required (query parameter 'name')");
    }
    if (n.length() > 255) {
      throw new InvalidInput("name", "must be at most 255 characters");
    }
    return n;
  }
}
