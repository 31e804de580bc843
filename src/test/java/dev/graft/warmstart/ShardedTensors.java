package dev.graft.warmstart;

import java.nio.file.Path;
import java.util.Map;

/** Tensor hashes of an artifact, for tests outside this package. */
public final class ShardedTensors {

  private ShardedTensors() {}

  /** Each tensor of a file, as Graft's reader finds it, by the SHA-256 of its bytes. */
  public static Map<String, String> hashes(Path file) throws Exception {
    return MultiSourceRunTests.tensorHashes(file);
  }
}
