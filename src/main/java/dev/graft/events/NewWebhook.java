package dev.graft.events;

import java.util.List;

/**
 * A webhook to create.
 *
 * @param url an http or https URL the settings allow
 * @param events the event types to receive: {@code run.succeeded}, {@code run.failed}, {@code
 *     run.cancelled}, {@code version.created}, {@code version.deleted}, {@code alias.moved}
 * @param secret the key every delivery is signed with (HMAC-SHA256), 16 to 512 characters; stored,
 *     never returned
 */
public record NewWebhook(String url, List<String> events, String secret) {

  /** Keeps the secret out of logs. */
  @Override
  public String toString() {
    return "NewWebhook[url=" + url + ", events=" + events + ", secret=(hidden)]";
  }
}
