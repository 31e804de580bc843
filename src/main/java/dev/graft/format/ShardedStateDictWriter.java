package dev.graft.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A state dict written as several files: each shard of a {@link Shards#split} goes to a writer of
 * its own, opened when its first tensor comes and finished when the next shard starts (or at {@link
 * #finish()}), so one file is open at a time. Checks order and sizes as every {@link
 * StateDictWriter} does.
 */
public final class ShardedStateDictWriter implements StateDictWriter {

  /** Opens the writer of one shard. */
  @FunctionalInterface
  public interface ShardOpener {
    /**
     * A writer for shard {@code index} (from 0), expecting exactly {@code layout}.
     *
     * @throws IOException when its file cannot be made
     */
    StateDictWriter open(int index, List<OutputTensor> layout) throws IOException;
  }

  private final List<List<OutputTensor>> shards;
  private final List<OutputTensor> layout;
  private final ShardOpener opener;
  private StateDictWriter current;
  private int shard = -1;
  private int inShard;
  private long finishedBytes;
  private boolean failed;
  private boolean finished;

  /**
   * A writer over the shards, none opened yet.
   *
   * @param shards the split, in order; every shard non-empty, unless the state dict is empty
   */
  public ShardedStateDictWriter(List<List<OutputTensor>> shards, ShardOpener opener) {
    this.shards = List.copyOf(shards);
    List<OutputTensor> all = new ArrayList<>();
    shards.forEach(all::addAll);
    this.layout = List.copyOf(all);
    this.opener = opener;
  }

  @Override
  public List<OutputTensor> layout() {
    return layout;
  }

  /** Moves to the shard that holds the next tensor, finishing the one before. */
  private StateDictWriter writerFor(String key) throws IOException {
    if (failed || finished) {
      throw new IllegalStateException(
          "the sharded writer has " + (failed ? "failed" : "finished") + "; cannot write " + key);
    }
    try {
      if (current == null || inShard == shards.get(shard).size()) {
        if (shard + 1 >= shards.size()) {
          throw new IllegalStateException(
              "tensor " + FormatException.quote(key) + " is past the end of the layout");
        }
        finishCurrent();
        shard++;
        inShard = 0;
        current = opener.open(shard, shards.get(shard));
      }
      inShard++;
      return current;
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  private void finishCurrent() throws IOException {
    if (current != null) {
      current.finish();
      finishedBytes += current.bytesWritten();
      current = null;
    }
  }

  @Override
  public WritableByteChannel next(String key) throws IOException {
    StateDictWriter w = writerFor(key);
    try {
      return w.next(key);
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public void write(String key, ByteBuffer data) throws IOException {
    StateDictWriter w = writerFor(key);
    try {
      w.write(key, data);
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public void transfer(String key, java.nio.channels.FileChannel source, long position, long size)
      throws IOException {
    StateDictWriter w = writerFor(key);
    try {
      w.transfer(key, source, position, size);
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public void finish() throws IOException {
    if (failed || finished) {
      throw new IllegalStateException(
          "the sharded writer has " + (failed ? "failed" : "already finished"));
    }
    try {
      if (current == null && !shards.isEmpty() && shards.get(0).isEmpty()) {
        // An empty state dict is one empty file.
        current = opener.open(0, List.of());
        shard = 0;
      }
      if (shard < shards.size() - 1
          || (current != null && inShard < shards.get(shard).size())
          || current == null) {
        int done = 0;
        for (int i = 0; i < shard; i++) {
          done += shards.get(i).size();
        }
        done += inShard;
        throw new IllegalStateException(
            "tensor " + FormatException.quote(layout.get(done).key()) + " was never written");
      }
      finishCurrent();
      finished = true;
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public long bytesWritten() {
    return finishedBytes + (current == null ? 0 : current.bytesWritten());
  }
}
