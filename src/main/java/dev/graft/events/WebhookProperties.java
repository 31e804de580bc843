package dev.graft.events;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Webhook settings, under {@code graft.webhooks.*} (see the README's configuration table).
 *
 * @param allowedHosts host names ({@code hooks.example.com}, {@code *.example.com}) and networks in
 *     CIDR notation ({@code 10.1.0.0/16}, {@code 127.0.0.1/32}) a webhook may point at even though
 *     they are not public addresses; empty by default
 * @param allowPublicAddresses whether a webhook may point at any public address; {@code false}
 *     makes {@code allowedHosts} the only places Graft calls
 * @param dispatcher whether this process delivers webhooks (any number of replicas may)
 * @param connectTimeout how long a connection to a receiver may take
 * @param timeout how long a receiver may take to answer, once connected
 * @param maxAttempts attempts per delivery before it is given up as FAILED
 * @param backoff the wait before the second attempt; it doubles with each attempt after that
 * @param maxBackoff the longest wait between two attempts
 * @param pollInterval how often an idle dispatcher looks for due deliveries
 * @param lease how long a claimed delivery is this dispatcher's; a dispatcher that dies
 *     mid-delivery loses it after this long and another delivers it
 * @param concurrency deliveries this process makes at once (one per webhook at a time)
 * @param responseExcerpt how much of a receiver's answer is kept per attempt
 */
@ConfigurationProperties("graft.webhooks")
@Validated
public record WebhookProperties(
    List<String> allowedHosts,
    @DefaultValue("true") boolean allowPublicAddresses,
    @DefaultValue("true") boolean dispatcher,
    @DefaultValue("2s") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration connectTimeout,
    @DefaultValue("5s") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration timeout,
    @DefaultValue("12") @Min(value = 1, message = "must be at least 1") int maxAttempts,
    @DefaultValue("10s") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration backoff,
    @DefaultValue("1h") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration maxBackoff,
    @DefaultValue("1s") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration pollInterval,
    @DefaultValue("30s") @DurationMin(millis = 1, message = "must be longer than 0") Duration lease,
    @DefaultValue("4") @Min(value = 1, message = "must be at least 1") int concurrency,
    @DefaultValue("1KB") DataSize responseExcerpt) {

  public WebhookProperties {
    allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
  }

  /** (Checked by the validator; not a setting.) */
  @AssertTrue(
      message =
          "graft.webhooks.lease must be longer than connect-timeout plus timeout, or a slow"
              + " receiver's delivery is taken over by another dispatcher while it is still running")
  public boolean isLeaseLongerThanAnAttempt() {
    return lease == null
        || connectTimeout == null
        || timeout == null
        || lease.compareTo(connectTimeout.plus(timeout)) > 0;
  }

  /** (Checked by the validator; not a setting.) */
  @AssertTrue(message = "graft.webhooks.response-excerpt must be between 0 and 4KB")
  public boolean isExcerptBounded() {
    return responseExcerpt == null
        || (responseExcerpt.toBytes() >= 0 && responseExcerpt.toBytes() <= 4096);
  }

  /**
   * The wait before attempt {@code attempt + 1}, before jitter: backoff × 2^(attempt-1), capped.
   */
  Duration backoffAfter(int attempt) {
    long base = backoff.toMillis();
    int shift = Math.min(Math.max(attempt - 1, 0), 40);
    long ms = base > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : base << shift;
    return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
  }
}
