package dev.graft.format;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

/**
 * TEMPORARY STUB so that the conformance tests compile on the safetensors-fixtures branch; the
 * torch-reader branch replaces this file with the real implementation.
 */
public final class TensorData {

  private TensorData() {}

  /**
   * Reads a tensor's elements as row-major little-endian bytes.
   *
   * @param file the checkpoint file
   * @param tensor the tensor to read
   * @return the element bytes
   * @throws IOException when the file cannot be read
   * @throws UnsupportedOperationException always, in this stub
   */
  public static byte[] readContiguous(SeekableByteChannel file, TensorInfo tensor)
      throws IOException {
    throw new UnsupportedOperationException("temporary stub, replaced by torch-reader branch");
  }
}
