package dev.graft.shared;

/**
 * A checked page request: {@code page} from 0, {@code size} from 1 to {@value #MAX_SIZE}.
 *
 * @param page the zero-based page number
 * @param size items per page
 */
public record PageRequest(int page, int size) {

  /** The largest page a client may ask for. */
  public static final int MAX_SIZE = 1000;

  /**
   * Checks the bounds.
   *
   * @throws InvalidInput when page is negative or size is out of range
   */
  public PageRequest {
    if (page < 0) {
      throw new InvalidInput("page", "must be 0 or more, was " + page);
    }
    if (size < 1 || size > MAX_SIZE) {
      throw new InvalidInput("size", "must be between 1 and " + MAX_SIZE + ", was " + size);
    }
  }

  /** Offset of the page's first item. */
  public long offset() {
    return (long) page * size;
  }
}
