package dev.graft.format.internal;

import dev.graft.format.FormatException;
import dev.graft.format.OutputTensor;
import dev.graft.format.RegionSink;
import dev.graft.format.StateDictWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The checks both writers share: tensors arrive in layout order with exactly their byte counts, and
 * the first mistake fails the writer for good, since its output is then unusable. Subclasses only
 * lay out bytes around each tensor's data.
 */
public abstract class SequencedWriter implements StateDictWriter {

  private final WritableByteChannel out;
  private final List<OutputTensor> layout;
  private long position;
  private int next;
  private TensorChannel current;
  private String failure;
  private boolean finished;

  /**
   * A writer of {@code layout} to {@code out}.
   *
   * @param out where the file goes, from its first byte; never closed
   * @param layout every tensor, in the order the data will arrive
   * @throws IllegalArgumentException when a key appears twice in the layout
   */
  protected SequencedWriter(WritableByteChannel out, List<OutputTensor> layout) {
    this.out = Objects.requireNonNull(out, "out");
    this.layout = List.copyOf(layout);
    Set<String> seen = new HashSet<>();
    for (OutputTensor t : this.layout) {
      if (!seen.add(t.key())) {
        throw new IllegalArgumentException(
            "tensor key " + FormatException.quote(t.key()) + " appears twice in the layout");
      }
    }
  }

  /** Called before a tensor's first byte, at {@link #position()}. */
  protected abstract void beginTensor(int index, OutputTensor t) throws IOException;

  /** Called with each slice of a tensor's bytes before it is written to the output. */
  protected abstract void observeData(ByteBuffer data);

  /**
   * Whether {@link #observeData} looks at the bytes; when it does not, a region copied file to file
   * is never read into the process.
   */
  protected boolean observesData() {
    return true;
  }

  /** Called after a tensor's last byte. */
  protected abstract void endTensor(int index, OutputTensor t) throws IOException;

  /** Called once all tensors are complete. */
  protected abstract void writeTail() throws IOException;

  @Override
  public final List<OutputTensor> layout() {
    return layout;
  }

  @Override
  public final long bytesWritten() {
    return position;
  }

  /** Output offset of the next byte, counted from where the channel was when the writer opened. */
  protected final long position() {
    return position;
  }

  /** Writes all of {@code buf} to the output, counting it. */
  protected final void emit(ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      position += out.write(buf);
    }
  }

  /** Writes all of {@code bytes} to the output, counting it. */
  protected final void emit(byte[] bytes) throws IOException {
    emit(ByteBuffer.wrap(bytes));
  }

  @Override
  public final WritableByteChannel next(String key) throws IOException {
    checkUsable();
    closeCurrent();
    if (next >= layout.size()) {
      throw fail(
          "got tensor "
              + FormatException.quote(key)
              + " after all "
              + layout.size()
              + " tensors of the layout");
    }
    OutputTensor t = layout.get(next);
    if (!t.key().equals(key)) {
      boolean known = layout.stream().anyMatch(o -> o.key().equals(key));
      throw fail(
          "expected tensor "
              + FormatException.quote(t.key())
              + " (number "
              + next
              + " of the layout) but got "
              + FormatException.quote(key)
              + (known ? ", which comes elsewhere in the layout" : ", which is not in the layout"));
    }
    int index = next++;
    try {
      beginTensor(index, t);
    } catch (IOException | RuntimeException e) {
      noteFailure(e);
      throw e;
    }
    current = new TensorChannel(index, t);
    return current;
  }

  @Override
  public final void write(String key, ByteBuffer data) throws IOException {
    checkUsable();
    // Check the size before the header goes out, so a wrong buffer writes nothing at all.
    int at = next;
    if (at < layout.size()
        && layout.get(at).key().equals(key)
        && current == null
        && data.remaining() != layout.get(at).sizeBytes()) {
      throw fail(wrongSize(layout.get(at), data.remaining()));
    }
    WritableByteChannel ch = next(key);
    while (data.hasRemaining()) {
      ch.write(data);
    }
    ch.close();
  }

  @Override
  public final void transfer(String key, FileChannel source, long position, long size)
      throws IOException {
    if (size <= SMALL_REGION) {
      // A small tensor is cheaper read than mapped (a mapping per tensor, unmapped only by the
      // garbage collector) or handed to the kernel (a system call per tensor).
      if (regionBuffer == null) {
        regionBuffer = ByteBuffer.allocate((int) SMALL_REGION);
      }
      ByteBuffer b = regionBuffer.clear().limit((int) Math.max(0, size));
      while (b.hasRemaining()) {
        if (source.read(b, position + b.position()) < 0) {
          throw new java.io.EOFException(
              "the source ends before byte " + (position + size) + " of tensor " + key);
        }
      }
      write(key, b.flip());
      return;
    }
    if (!(out instanceof RegionSink sink)) {
      write(key, map(source, position, size));
      return;
    }
    checkUsable();
    int at = next;
    if (at < layout.size()
        && layout.get(at).key().equals(key)
        && current == null
        && size != layout.get(at).sizeBytes()) {
      throw fail(wrongSize(layout.get(at), size));
    }
    next(key);
    TensorChannel ch = current;
    try {
      for (long done = 0; done < size; ) {
        // Bounded slices: the observer sees mapped bytes, the kernel copies them.
        long n = Math.min(REGION_SLICE, size - done);
        if (observesData()) {
          observeData(map(source, position + done, n));
        }
        sink.transferFrom(source, position + done, n);
        this.position += n;
        done += n;
      }
    } catch (IOException | RuntimeException e) {
      noteFailure(e);
      throw e;
    }
    ch.remaining = 0;
    ch.close();
  }

  private static final long REGION_SLICE = 64L << 20;
  private static final long SMALL_REGION = 256 << 10;
  private ByteBuffer regionBuffer;

  private static ByteBuffer map(FileChannel source, long position, long size) throws IOException {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a region of " + size + " bytes cannot be mapped at once");
    }
    return source
        .map(FileChannel.MapMode.READ_ONLY, position, size)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public final void finish() throws IOException {
    checkUsable();
    closeCurrent();
    if (next < layout.size()) {
      throw fail(
          "finish() with "
              + (layout.size() - next)
              + " of "
              + layout.size()
              + " tensors missing, the first being "
              + FormatException.quote(layout.get(next).key()));
    }
    try {
      writeTail();
    } catch (IOException | RuntimeException e) {
      noteFailure(e);
      throw e;
    }
    finished = true;
  }

  private void closeCurrent() throws IOException {
    if (current != null && current.isOpen()) {
      current.close();
    }
    current = null;
  }

  private void checkUsable() {
    if (failure != null) {
      throw new IllegalStateException(
          "the writer failed earlier and its output is unusable: " + failure);
    }
    if (finished) {
      throw new IllegalStateException("the writer has already finished");
    }
  }

  private IllegalStateException fail(String message) {
    failure = message;
    return new IllegalStateException(message);
  }

  private void noteFailure(Exception e) {
    failure = String.valueOf(e.getMessage());
  }

  private static String wrongSize(OutputTensor t, long got) {
    return "tensor "
        + FormatException.quote(t.key())
        + " of "
        + t.dtype().torchName()
        + " "
        + t.shape()
        + " needs exactly "
        + t.sizeBytes()
        + " bytes but got "
        + got;
  }

  /** Takes one tensor's bytes, refusing any beyond its size before they reach the output. */
  private final class TensorChannel implements WritableByteChannel {
    private final int index;
    private final OutputTensor tensor;
    private long remaining;
    private boolean open = true;

    TensorChannel(int index, OutputTensor tensor) {
      this.index = index;
      this.tensor = tensor;
      this.remaining = tensor.sizeBytes();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      checkUsable();
      int n = src.remaining();
      if (n > remaining) {
        throw fail(wrongSize(tensor, tensor.sizeBytes() - remaining + n) + " or more");
      }
      try {
        observeData(src.duplicate());
        emit(src);
      } catch (IOException | RuntimeException e) {
        noteFailure(e);
        throw e;
      }
      remaining -= n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      if (!open) {
        return;
      }
      open = false;
      checkUsable();
      if (remaining != 0) {
        throw fail(wrongSize(tensor, tensor.sizeBytes() - remaining));
      }
      try {
        endTensor(index, tensor);
      } catch (IOException | RuntimeException e) {
        noteFailure(e);
        throw e;
      }
    }
  }
}
