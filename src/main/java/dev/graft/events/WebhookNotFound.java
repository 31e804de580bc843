package dev.graft.events;

import dev.graft.shared.NotFound;
import java.util.UUID;

/** No webhook has this id. */
public class WebhookNotFound extends NotFound {

  WebhookNotFound(UUID id) {
    super("webhook " + id + " does not exist");
  }
}
