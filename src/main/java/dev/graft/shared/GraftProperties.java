package dev.graft.shared;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Graft's own settings, under {@code graft.*}; each one is documented in the README's configuration
 * table. They are validated when they are bound: a value out of range stops start-up with a message
 * naming the setting.
 *
 * @param dataDir where the embedded PostgreSQL ({@code postgres/}) and the filesystem blob store
 *     ({@code blobs/}) keep their data
 * @param upload limits on uploaded files
 * @param limits limits every file reader enforces
 * @param roles what this process does: {@code api} serves HTTP, {@code worker} claims runs; both by
 *     default
 * @param worker the worker's settings
 * @param security who may call the API, and how callers prove who they are
 * @param embeddedDatabase whether Graft may start its embedded PostgreSQL when no {@code
 *     spring.datasource.url} is set (the local default); the container image and the Helm chart
 *     turn it off, and then a missing datasource stops start-up with a message saying what to set
 * @param gc the background sweep of orphan blobs
 * @param idempotency how long idempotency keys are kept
 */
@ConfigurationProperties("graft")
@Validated
public record GraftProperties(
    @DefaultValue("./graft-data") @NotNull Path dataDir,
    @DefaultValue @Valid Upload upload,
    @DefaultValue @Valid Limits limits,
    @DefaultValue({"api", "worker"}) java.util.List<String> roles,
    @DefaultValue @Valid Worker worker,
    @DefaultValue @Valid Security security,
    @DefaultValue("true") boolean embeddedDatabase,
    @DefaultValue @Valid Gc gc,
    @DefaultValue @Valid Idempotency idempotency) {

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
      @DefaultValue("1") @Min(value = 1, message = "must be at least 1 (runs executed at once)")
          int concurrency,
      @DefaultValue("500ms") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration pollInterval,
      @DefaultValue("30s") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration lease,
      @DefaultValue("2s") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration heartbeat,
      @DefaultValue("3") @Min(value = 1, message = "must be at least 1 (the first attempt)")
          int maxAttempts) {

    /**
     * A lease must outlast several heartbeats, or a healthy worker loses its run to another.
     * (Checked by the validator; not a setting.)
     */
    @AssertTrue(
        message =
            "graft.worker.heartbeat must be shorter than graft.worker.lease, or a healthy worker"
                + " loses its runs to others")
    public boolean isHeartbeatShorterThanLease() {
      return heartbeat == null || lease == null || heartbeat.compareTo(lease) < 0;
    }
  }

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
      @DefaultValue("8") @Min(value = 1, message = "must be at least 1 (uploads received at once)")
          int maxConcurrent,
      @DefaultValue("30s") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration stallTimeout,
      @DefaultValue("64KB") DataSize stallMinBytes) {

    /** (Checked by the validator; not a setting.) */
    @AssertTrue(
        message =
            "graft.upload.max-bytes, max-json-bytes and stall-min-bytes must each be more than 0"
                + " bytes")
    public boolean isEverySizePositive() {
      return positive(maxBytes) && positive(maxJsonBytes) && positive(stallMinBytes);
    }
  }

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
      @DefaultValue("200000") @Min(value = 1, message = "must be at least 1") int maxTensors,
      @DefaultValue("200064") @Min(value = 1, message = "must be at least 1") int maxZipEntries,
      @DefaultValue("256MB") DataSize maxPickleBytes,
      @DefaultValue("50000000") @Min(value = 1, message = "must be at least 1") long maxPickleOps,
      @DefaultValue("100") @Min(value = 1, message = "must be at least 1") int maxDepth,
      @DefaultValue("100000000") @Min(value = 1, message = "must be at least 1")
          long maxHeaderBytes,
      @DefaultValue("200000000") @Min(value = 1, message = "must be at least 1") long maxWork,
      @DefaultValue("10s") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration maxParseTime) {

    /** (Checked by the validator; not a setting.) */
    @AssertTrue(message = "graft.limits.max-pickle-bytes must be more than 0 bytes")
    public boolean isPickleSizePositive() {
      return positive(maxPickleBytes);
    }

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

  /**
   * Who may call the API (see the README's security section).
   *
   * @param mode {@code token} (Graft's own bearer tokens, the default), {@code oidc} (JWTs from an
   *     OpenID Connect provider) or {@code none} (no checks at all; a warning at every start)
   * @param bootstrapToken in token mode, the first admin token, used only while no token exists
   *     (for compose files and Helm secrets); empty to have Graft create one and write it to {@code
   *     <data-dir>/admin-token}
   * @param oidc the OIDC mode's settings
   * @param lockout how addresses that keep presenting bad tokens are refused for a while
   */
  public record Security(
      @DefaultValue("token") @NotNull SecurityMode mode,
      @DefaultValue("") String bootstrapToken,
      @DefaultValue @Valid Oidc oidc,
      @DefaultValue @Valid Lockout lockout) {

    /** (Checked by the validator; not a setting.) */
    @AssertTrue(
        message =
            "graft.security.oidc.audience is required with graft.security.mode=oidc: Graft"
                + " accepts only JWTs issued for it (their aud claim must name it)")
    public boolean isOidcAudienceSetWhenNeeded() {
      return mode != SecurityMode.OIDC || (oidc != null && !oidc.audience().isBlank());
    }

    /** Keeps the bootstrap token out of logs and actuator output. */
    @Override
    public String toString() {
      return "Security[mode="
          + mode
          + ", bootstrapToken="
          + (bootstrapToken == null || bootstrapToken.isEmpty() ? "unset" : "(set)")
          + ", oidc="
          + oidc
          + ", lockout="
          + lockout
          + "]";
    }
  }

  /** How callers prove who they are. */
  public enum SecurityMode {
    /** Graft's own opaque bearer tokens with scopes, managed at {@code /api/v1/tokens}. */
    TOKEN,
    /** JWTs from an OpenID Connect provider, scopes {@code graft:read|write|admin}. */
    OIDC,
    /** No checks: every caller may do everything. For a machine no one else can reach. */
    NONE
  }

  /**
   * OIDC mode: where JWTs come from is Spring Boot's {@code
   * spring.security.oauth2.resourceserver.jwt.issuer-uri} (or {@code jwk-set-uri}).
   *
   * @param audience the value the JWT's {@code aud} claim must contain; required in this mode
   * @param principalClaim the claim that names the caller in the audit log; {@code sub} when the
   *     token lacks it
   */
  public record Oidc(
      @DefaultValue("") String audience, @DefaultValue("sub") String principalClaim) {}

  /**
   * An address that presents {@code maxFailures} bad tokens within {@code window} is refused with
   * 429 for {@code duration}.
   *
   * @param maxFailures bad tokens tolerated per address and window
   * @param window the period over which bad tokens are counted
   * @param duration how long the address is then refused
   */
  public record Lockout(
      @DefaultValue("10") @Min(value = 1, message = "must be at least 1") int maxFailures,
      @DefaultValue("1m") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration window,
      @DefaultValue("5m") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration duration) {}

  /**
   * The orphan sweeper: blobs no row names (left by a failure between storing bytes and recording
   * their rows, or by a crash between a delete and its collection) are removed in the background.
   *
   * @param orphanGrace how old an unnamed blob must be before it is removed; longer than an upload
   *     or a run takes between storing its bytes and recording its rows
   * @param interval how often the sweep runs
   */
  public record Gc(
      @DefaultValue("1h") @DurationMin(millis = 1, message = "must be longer than 0")
          Duration orphanGrace,
      @DefaultValue("1h") @DurationMin(seconds = 1, message = "must be at least 1s")
          Duration interval) {}

  /**
   * Idempotency keys.
   *
   * @param retention how long a key is remembered; a retry after that is treated as a new call
   */
  public record Idempotency(
      @DefaultValue("7d") @DurationMin(minutes = 1, message = "must be at least 1m")
          Duration retention) {}

  private static boolean positive(DataSize size) {
    return size == null || size.toBytes() > 0;
  }
}
