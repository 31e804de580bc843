package dev.graft.events.web;

import dev.graft.events.Delivery;
import dev.graft.events.NewWebhook;
import dev.graft.events.Webhook;
import dev.graft.events.WebhookService;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Webhooks: signed POSTs of registry and run events, delivered at least once. Admin scope. */
@RestController
@RequestMapping("/api/v1/webhooks")
@Tag(
    name = "Webhooks",
    description =
        "Signed JSON POSTs of run.succeeded, run.failed, run.cancelled, version.created,"
            + " version.deleted and alias.moved, from an outbox, at least once (admin scope)")
class WebhookController {

  private final WebhookService webhooks;

  WebhookController(WebhookService webhooks) {
    this.webhooks = webhooks;
  }

  @Operation(
      operationId = "createWebhook",
      summary = "Create a webhook; its secret signs every delivery and is never returned")
  @ApiResponse(responseCode = "201", description = "Created")
  @ApiResponse(
      responseCode = "400",
      description =
          "An unknown event, a secret shorter than 16 characters, or a URL Graft may not call"
              + " (not http/https, or an address graft.webhooks.allowed-hosts does not allow)")
  @PostMapping
  ResponseEntity<Webhook> create(@RequestBody NewWebhook request) {
    Webhook w = webhooks.create(request);
    return ResponseEntity.created(URI.create("/api/v1/webhooks/" + w.id())).body(w);
  }

  @Operation(operationId = "listWebhooks", summary = "List webhooks, oldest first; no secrets")
  @GetMapping
  PageResponse<Webhook> list(
      @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "50") int size) {
    return webhooks.list(new PageRequest(page, size));
  }

  @Operation(operationId = "getWebhook", summary = "Get a webhook; no secret")
  @ApiResponse(responseCode = "200", description = "The webhook")
  @ApiResponse(responseCode = "404", description = "No such webhook")
  @GetMapping("/{id}")
  Webhook get(@PathVariable UUID id) {
    return webhooks.get(id);
  }

  @Operation(operationId = "deleteWebhook", summary = "Delete a webhook and its deliveries")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @ApiResponse(responseCode = "404", description = "No such webhook")
  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable UUID id) {
    webhooks.delete(id);
    return ResponseEntity.noContent().build();
  }

  @Operation(
      operationId = "listWebhookDeliveries",
      summary =
          "A webhook's deliveries, newest event first: state, and every attempt with its status,"
              + " error and the start of the answer")
  @ApiResponse(responseCode = "200", description = "A page of deliveries")
  @ApiResponse(responseCode = "404", description = "No such webhook")
  @GetMapping("/{id}/deliveries")
  PageResponse<Delivery> deliveries(
      @PathVariable UUID id,
      @RequestParam(defaultValue = "0") int page,
      @RequestParam(defaultValue = "50") int size) {
    return webhooks.deliveries(id, new PageRequest(page, size));
  }
}
