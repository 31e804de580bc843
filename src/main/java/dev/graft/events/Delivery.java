package dev.graft.events;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One event's delivery to one webhook, and every attempt made at it.
 *
 * @param id the {@code X-Graft-Delivery} id, the same on every attempt
 * @param eventId the event's position in the outbox
 * @param event the event type
 * @param state {@code PENDING} (not yet answered with 2xx), {@code DELIVERED}, or {@code FAILED}
 *     (attempts used up)
 * @param createdAt when the event was recorded
 * @param nextAttemptAt when a pending delivery is next tried
 * @param finishedAt when it was delivered or given up
 * @param attempts the attempts, first first
 */
public record Delivery(
    UUID id,
    long eventId,
    String event,
    String state,
    Instant createdAt,
    Instant nextAttemptAt,
    Instant finishedAt,
    List<Attempt> attempts) {

  /**
   * One attempt.
   *
   * @param attempt its number, from 1
   * @param startedAt when the request was started
   * @param durationMs how long until the answer or the error; {@code null} when the dispatcher
   *     making it stopped before it finished
   * @param statusCode the receiver's HTTP status, or {@code null} when there was none
   * @param error why it failed without a status (a timeout, a refused connection), or {@code null}
   * @param responseExcerpt the start of the receiver's answer (at most {@code
   *     graft.webhooks.response-excerpt})
   */
  public record Attempt(
      int attempt,
      Instant startedAt,
      Integer durationMs,
      Integer statusCode,
      String error,
      String responseExcerpt) {}
}
