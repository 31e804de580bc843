package dev.graft.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * An output that can take a region of a file directly, so bytes that pass through unchanged are
 * copied file to file by the kernel ({@link FileChannel#transferTo}) instead of through the
 * process's memory.
 */
public interface RegionSink extends WritableByteChannel {

  /**
   * Appends {@code count} bytes of {@code source} from {@code position}.
   *
   * @throws java.io.EOFException when the source ends before {@code position + count}
   */
  void transferFrom(FileChannel source, long position, long count) throws IOException;
}
