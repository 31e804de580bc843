package dev.graft.format;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

/**
 * Placeholder for the safetensors reader written on another branch; the merge replaces this file.
 */
public final class SafetensorsReader {

  private SafetensorsReader() {}

  /**
   * Reads a safetensors file's index.
   *
   * @param file the whole file
   * @param limits the limits to enforce
   * @return never, until the real reader is merged
   * @throws FormatException always, until the real reader is merged
   * @throws IOException when the channel cannot be read
   */
  public static CheckpointIndex read(SeekableByteChannel file, ReadLimits limits)
      throws IOException {
    throw FormatException.unsupported("safetensors reader pending");
  }
}
