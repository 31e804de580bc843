package dev.graft.shared;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Graft's own settings, under {@code graft.*}; each one is documented in the README's configuration
 * table.
 *
 * @param dataDir where the embedded PostgreSQL ({@code postgres/}) and the filesystem blob store
 *     ({@code blobs/}) keep their data
 * @param upload limits on uploaded files
 * @param limits limits every file reader enforces
 * @param roles what this process does: {@code api} serves HTTP, {@code worker} claims runs; both by
 *     default
 * @param worker the worker's settings
 * @param embeddedDatabase whether Graft may start its embedded PostgreSQL when no {@code
 *     spring.datasource.url} is set (the local default); the container image and the Helm chart
 *     turn it off, and then a missing datasource stops start-up with a message saying what to set
 */
@ConfigurationProperties("graft")
public record GraftProperties(
    @DefaultValue("./graft-data") Path dataDir,
    @DefaultValue Upload upload,
    @DefaultValue Limits limits,
    @DefaultValue({"api", "worker"}) java.util.List<String> roles,
    @DefaultValue Worker worker,
    @DefaultValue("true") boolean embeddedDatabase) {

  /** Whether this process serves the HTTP API. */
  public boolean api() {
    return roles.contains("api");
  }

  /** Whether this process claims and executes runs. */
  public boolean isWorker() {
    return roles.contains("worker");
  }

  /**
   * Worker settings.
   *
   * @param device the device to run on ({@code cpu}, {@code cuda:0}); empty for {@code cuda:0} when
   *     DJL sees a GPU, else {@code cpu}
   * @param concurrency runs executed at once by this process
   * @param pollInterval how often an idle worker looks for a run
   * @param lease how long a claim holds without a heartbeat; a run whose lease expires is retried
   * @param heartbeat how often a running worker renews its lease and reports progress
   * @param maxAttempts attempts before a run whose worker keeps dying is failed
   */
  public record Worker(
      @DefaultValue("") String device,
      @DefaultValue("1") int concurrency,
      @DefaultValue("500ms") java.time.Duration pollInterval,
      @DefaultValue("30s") java.time.Duration lease,
      @DefaultValue("2s") java.time.Duration heartbeat,
      @DefaultValue("3") int maxAttempts) {}

  /**
   * Upload settings.
   *
   * @param maxBytes the largest file accepted; larger uploads are refused with 413 while streaming
   * @param maxJsonBytes the largest JSON request body (a JSON architecture, options, edits); 413
   *     beyond, counted as the bytes arrive
   * @param maxConcurrent file uploads received at once by this process; more are refused with 429
   *     and {@code Retry-After}
   * @param stallTimeout an upload that delivers less than {@code stallMinBytes} within this long is
   *     cut (408) and its staged bytes removed
   * @param stallMinBytes see {@code stallTimeout}
   */
  public record Upload(
      @DefaultValue("1TB") DataSize maxBytes,
      @DefaultValue("32MB") DataSize maxJsonBytes,
      @DefaultValue("8") int maxConcurrent,
      @DefaultValue("30s") java.time.Duration stallTimeout,
      @DefaultValue("64KB") DataSize stallMinBytes) {}

  /**
   * Reader limits (see {@code dev.graft.format.ReadLimits}).
   *
   * @param maxTensors tensors in one checkpoint
   * @param maxZipEntries entries in one zip archive
   * @param maxPickleBytes size of a pickle record
   * @param maxPickleOps pickle opcodes executed
   * @param maxDepth nesting depth of pickled containers
   * @param maxHeaderBytes size of a safetensors JSON header
   * @param maxWork work units one parse may spend (opcodes, hashing and equality steps, visited
   *     nodes, rendered characters); a 200,000-tensor checkpoint needs about 12 million
   * @param maxParseTime wall-clock time one parse may take
   */
  public record Limits(
      @DefaultValue("200000") int maxTensors,
      @DefaultValue("200064") int maxZipEntries,
      @DefaultValue("256MB") DataSize maxPickleBytes,
      @DefaultValue("50000000") long maxPickleOps,
      @DefaultValue("100") int maxDepth,
      @DefaultValue("100000000") long maxHeaderBytes,
      @DefaultValue("200000000") long maxWork,
      @DefaultValue("10s") java.time.Duration maxParseTime) {

    /** These settings over the readers' defaults. */
    public dev.graft.format.ReadLimits toReadLimits() {
      dev.graft.format.ReadLimits d = dev.graft.format.ReadLimits.defaults();
      return new dev.graft.format.ReadLimits(
          maxZipEntries,
          maxPickleBytes.toBytes(),
          maxPickleOps,
          d.maxMemo(),
          d.maxStack(),
          maxDepth,
          d.maxStringLength(),
          maxTensors,
          d.maxRank(),
          d.maxKeyLength(),
          maxHeaderBytes,
          d.maxTotalNumel(),
          maxWork,
          maxParseTime.toMillis(),
          d.maxKeyTupleWeight(),
          d.maxIntegerBits(),
          d.maxMetadataChars(),
          d.maxMetadataNodes(),
          d.maxCodeRecordBytes(),
          d.maxCodeBytes(),
          d.maxInflatedBytes());
    }
  }
}
