package dev.graft.events;

import dev.graft.shared.InvalidInput;

/**
 * A webhook URL Graft will not call: not http or https, carrying credentials, not resolving, or
 * pointing at an address {@code graft.webhooks.allowed-hosts} does not allow (loopback, private,
 * link-local and other non-public addresses are refused unless listed there).
 */
public class WebhookUrlRefused extends InvalidInput {

  WebhookUrlRefused(String reason) {
    super("url", reason);
  }
}
