package dev.graft.warmstart;

import dev.graft.checkpoint.Checkpoint;
import dev.graft.format.TensorInfo;
import dev.graft.plan.Report;
import dev.graft.storage.BlobStore;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The blobs of a run's source checkpoints, open for one attempt, and where in them each loaded
 * entry's value lies: the entry's {@code sourceIndex} picks the checkpoint (the only one for a run
 * from a {@code checkpointId}), its {@code sourceKey} the tensor. Sources of the same bytes share
 * one channel. Closing it closes every channel.
 */
final class SourceBlobs implements AutoCloseable {

  private final List<Map<String, TensorInfo>> tensors;
  private final List<SeekableByteChannel> channels;
  private final List<SeekableByteChannel> opened;

  private SourceBlobs(
      List<Map<String, TensorInfo>> tensors,
      List<SeekableByteChannel> channels,
      List<SeekableByteChannel> opened) {
    this.tensors = tensors;
    this.channels = channels;
    this.opened = opened;
  }

  /**
   * Opens the blob of each source's checkpoint.
   *
   * @throws dev.graft.storage.BlobStore.BlobMissing when a blob is not in the store
   */
  static SourceBlobs open(BlobStore blobs, List<RunAttempt.Source> sources) throws IOException {
    List<Map<String, TensorInfo>> tensors = new ArrayList<>(sources.size());
    List<SeekableByteChannel> channels = new ArrayList<>(sources.size());
    Map<String, SeekableByteChannel> bySha = new LinkedHashMap<>();
    try {
      for (RunAttempt.Source s : sources) {
        Map<String, TensorInfo> byKey = new HashMap<>();
        for (TensorInfo t : s.index().tensors()) {
          byKey.put(t.key(), t);
        }
        tensors.add(byKey);
        String sha = s.checkpoint().sha256();
        SeekableByteChannel ch = bySha.get(sha);
        if (ch == null) {
          ch = open(blobs, s.checkpoint());
          bySha.put(sha, ch);
        }
        channels.add(ch);
      }
    } catch (IOException | RuntimeException e) {
      closeAll(new ArrayList<>(bySha.values()));
      throw e;
    }
    return new SourceBlobs(tensors, channels, new ArrayList<>(bySha.values()));
  }

  /**
   * A checkpoint's bytes: its blob, or for one uploaded in shards, the shards one after another
   * (where its stored index puts its tensors).
   */
  private static SeekableByteChannel open(BlobStore blobs, Checkpoint checkpoint)
      throws IOException {
    if (checkpoint.dataShards().isEmpty()) {
      return blobs.open(checkpoint.sha256());
    }
    List<SeekableByteChannel> parts = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    try {
      for (Checkpoint.Shard shard : checkpoint.dataShards()) {
        parts.add(blobs.open(shard.sha256()));
        sizes.add(shard.sizeBytes());
      }
    } catch (IOException | RuntimeException e) {
      closeAll(parts);
      throw e;
    }
    return new ConcatenatedChannel(parts, sizes);
  }

  /** The source tensor an entry loads. */
  TensorInfo tensor(Report.Entry e) {
    return tensors.get(index(e)).get(e.sourceKey());
  }

  /** The channel over the blob that holds the source tensor an entry loads. */
  SeekableByteChannel channel(Report.Entry e) {
    return channels.get(index(e));
  }

  private static int index(Report.Entry e) {
    return e.sourceIndex() == null ? 0 : e.sourceIndex();
  }

  @Override
  public void close() throws IOException {
    closeAll(opened);
  }

  private static void closeAll(List<SeekableByteChannel> channels) throws IOException {
    IOException failed = null;
    for (SeekableByteChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException e) {
        failed = failed == null ? e : failed;
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}
