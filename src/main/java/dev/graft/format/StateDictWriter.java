package dev.graft.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * Streams a state dict into a checkpoint file one tensor at a time, so that the whole model is
 * never in memory. The writer is opened with the full layout; the caller then hands over every
 * tensor's bytes in layout order and calls {@link #finish()}.
 *
 * <p>Every call is checked: tensors must come in layout order, each with exactly its {@code
 * sizeBytes} bytes. A violation throws {@link IllegalStateException} naming the key and leaves the
 * writer failed: every later call throws too, and the partial output must be discarded. The writer
 * never closes the channel it was handed. Not thread-safe.
 */
public interface StateDictWriter {

  /** The tensors this writer expects, in the order it expects them. */
  List<OutputTensor> layout();

  /**
   * Starts the next tensor and returns a channel that takes exactly its bytes, contiguous and
   * little-endian. The channel may be closed when done; if it is not, the next call to {@code
   * next}, {@code write} or {@code finish} closes it.
   *
   * @param key the key of the next tensor in the layout
   * @return a channel accepting {@code sizeBytes} bytes; writing more throws {@link
   *     IllegalStateException}, as does closing it after fewer
   * @throws IllegalStateException when {@code key} is not the next tensor, the previous tensor is
   *     incomplete, or the writer has failed or finished
   * @throws IOException when the output cannot be written
   */
  WritableByteChannel next(String key) throws IOException;

  /**
   * Writes a whole tensor from one buffer: {@code next(key)}, all of {@code data}, then close.
   *
   * @param key the key of the next tensor in the layout
   * @param data exactly the tensor's bytes, from its position to its limit; consumed
   * @throws IllegalStateException when {@code key} is not the next tensor or {@code data} is not
   *     exactly {@code sizeBytes} long (nothing is written then), or the writer has failed
   * @throws IOException when the output cannot be written
   */
  void write(String key, ByteBuffer data) throws IOException;

  /**
   * Writes a whole tensor whose bytes, contiguous and little-endian, are a region of a file: as
   * {@link #write(String, ByteBuffer)} with those bytes, copied file to file where the output
   * allows it.
   *
   * @param key the key of the next tensor in the layout
   * @param source the file holding the bytes; its position is not changed
   * @param position where the tensor's bytes start in {@code source}
   * @param size exactly the tensor's size in bytes
   * @throws IllegalStateException as {@link #write(String, ByteBuffer)} does
   * @throws IOException when the source cannot be read or the output written
   */
  void transfer(String key, FileChannel source, long position, long size) throws IOException;

  /**
   * Completes the file after the last tensor.
   *
   * @throws IllegalStateException when tensors are missing (the message names the first one) or the
   *     last tensor is incomplete, or the writer has failed or already finished
   * @throws IOException when the output cannot be written
   */
  void finish() throws IOException;

  /** Bytes written to the output so far; after {@link #finish()}, the file's size. */
  long bytesWritten();
}
