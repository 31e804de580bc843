package dev.graft.format;

import java.nio.channels.SeekableByteChannel;

/**
 * Reads a checkpoint's tensor index from a file, recognising its format from its first bytes.
 *
 * <p>Nothing from the file is ever executed: torch zips go through a restricted unpickler, and every
 * size is checked against {@link ReadLimits} before it is used.
 */
public final class CheckpointReader {

  private CheckpointReader() {}

  /**
   * Reads the index of a checkpoint.
   *
   * @param file the whole file, positioned anywhere
   * @param format the expected format, or {@code null} to detect it
   * @param stateDictPath where the state dict sits in a nested torch checkpoint (dotted), or {@code
   *     null} to detect it
   * @param limits the limits to enforce
   * @throws FormatException when the file is refused; the message says what and where
   * @throws java.io.IOException when the channel cannot be read
   */
  public static CheckpointIndex read(
      SeekableByteChannel file, CheckpointFormat format, String stateDictPath, ReadLimits limits)
      throws java.io.IOException {
    throw new UnsupportedOperationException("reader pending");
  }
}
