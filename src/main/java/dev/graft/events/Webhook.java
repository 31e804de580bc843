package dev.graft.events;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A webhook: where Graft POSTs the events it subscribes to. Its secret is never shown again.
 *
 * @param id the webhook's id
 * @param url where deliveries are POSTed
 * @param events the event types it receives ({@code run.succeeded}, {@code alias.moved}, ...)
 * @param createdAt when it was created
 * @param createdBy who created it
 */
public record Webhook(
    UUID id, String url, List<String> events, Instant createdAt, String createdBy) {}
