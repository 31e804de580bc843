package dev.graft.events;

import dev.graft.security.AuditLog;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Webhooks: create (URL checked against {@code graft.webhooks.allowed-hosts}), list, delete, and
 * the deliveries made to each. Events recorded after a webhook is created are delivered to it; see
 * {@link Outbox} and the dispatcher.
 */
@Service
public class WebhookService {

  private static final int MIN_SECRET = 16;
  private static final int MAX_SECRET = 512;

  private final WebhookStore store;
  private final AuditLog audit;
  private final UrlPolicy policy;

  WebhookService(WebhookStore store, AuditLog audit, WebhookProperties properties) {
    this.store = store;
    this.audit = audit;
    this.policy = new UrlPolicy(properties.allowedHosts(), properties.allowPublicAddresses());
  }

  /**
   * Creates a webhook.
   *
   * @throws WebhookUrlRefused when Graft may not call the URL
   * @throws InvalidInput when the events or the secret are missing or invalid
   */
  @Transactional
  public Webhook create(NewWebhook request) {
    if (request == null) {
      throw new InvalidInput("body", "is required");
    }
    List<String> events = events(request.events());
    String secret = request.secret();
    if (secret == null || secret.length() < MIN_SECRET || secret.length() > MAX_SECRET) {
      throw new InvalidInput(
          "secret",
          "must be "
              + MIN_SECRET
              + " to "
              + MAX_SECRET
              + " characters: every delivery is signed with it (HMAC-SHA256)");
    }
    String url = policy.check(request.url()).toString();
    Webhook w =
        new Webhook(
            UUID.randomUUID(),
            url,
            events,
            Instant.now().truncatedTo(ChronoUnit.MICROS),
            audit.actor());
    store.insert(w, secret);
    audit.record(
        "webhook.create", "webhook", w.id().toString(), "events " + events + " to " + hostOf(url));
    return w;
  }

  /** Webhooks, oldest first; never their secrets. */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<Webhook> list(PageRequest page) {
    return new PageResponse<>(
        store.list(page.offset(), page.size()), page.page(), page.size(), store.count());
  }

  /**
   * A webhook.
   *
   * @throws WebhookNotFound when there is none
   */
  public Webhook get(UUID id) {
    return store.find(id).orElseThrow(() -> new WebhookNotFound(id));
  }

  /**
   * Deletes a webhook with its deliveries; a delivery in flight may still arrive.
   *
   * @throws WebhookNotFound when there is none
   */
  @Transactional
  public void delete(UUID id) {
    Webhook w = get(id);
    if (!store.delete(id)) {
      throw new WebhookNotFound(id);
    }
    audit.record("webhook.delete", "webhook", id.toString(), "to " + hostOf(w.url()));
  }

  /**
   * A webhook's deliveries, newest event first, each with every attempt and its answer.
   *
   * @throws WebhookNotFound when there is no such webhook
   */
  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public PageResponse<Delivery> deliveries(UUID id, PageRequest page) {
    get(id);
    return new PageResponse<>(
        store.deliveries(id, page.offset(), page.size()),
        page.page(),
        page.size(),
        store.countDeliveries(id));
  }

  private static List<String> events(List<String> requested) {
    String known =
        Arrays.stream(EventType.values())
            .map(EventType::wireName)
            .collect(Collectors.joining(", "));
    if (requested == null || requested.isEmpty()) {
      throw new InvalidInput("events", "must name at least one event: " + known);
    }
    Set<String> events = new LinkedHashSet<>();
    for (String e : requested) {
      if (e == null || EventType.byWireName(e).isEmpty()) {
        throw new InvalidInput(
            "events",
            (e == null ? "null" : dev.graft.shared.Texts.quote(e))
                + " is not an event; use "
                + known);
      }
      events.add(e);
    }
    return List.copyOf(events);
  }

  private static String hostOf(String url) {
    String host = java.net.URI.create(url).getHost();
    return host == null ? "?" : host;
  }
}
