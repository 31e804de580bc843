package dev.graft.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.registry.RegistryService;
import dev.graft.registry.TestVersions;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Webhooks end to end: created over the API, fed by real registry changes through the outbox,
 * delivered by the dispatcher to a receiver on loopback that checks every signature.
 */
class WebhookApiTests extends IntegrationTest {

  private static final String SECRET = "a-webhook-secret-of-the-tests";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;
  @Autowired Dispatcher dispatcher;

  private TestVersions versions() {
    return new TestVersions(registry, blobs, gc, tx);
  }

  private HttpResponse<String> create(String url, List<String> events, String secret)
      throws Exception {
    Map<String, Object> body = new java.util.HashMap<>();
    body.put("url", url);
    body.put("events", events);
    body.put("secret", secret);
    return http.send(
        HttpRequest.newBuilder(uri("/api/v1/webhooks"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String createOk(String url, String... events) throws Exception {
    HttpResponse<String> r = create(url, List.of(events), SECRET);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).get("id").asString();
  }

  private void deleteWebhook(String id) throws Exception {
    assertThat(delete("/api/v1/webhooks/" + id).statusCode()).isEqualTo(204);
  }

  private JsonNode deliveries(String id) throws Exception {
    HttpResponse<String> r = get("/api/v1/webhooks/" + id + "/deliveries");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  void shouldRefuseUrlsGraftMayNotCallAndNameWhy() throws Exception {
    Map<String, String> refused =
        Map.of(
            "ftp://127.0.0.1/hook", "http or https",
            "http://user:pw@127.0.0.1/hook", "credentials",
            "http://169.254.169.254/latest/meta-data", "link-local",
            "http://10.1.2.3/hook", "private address",
            "http://192.168.0.10/hook", "private address",
            "http://[fd00::1]/hook", "reserved address",
            "http://100.64.0.1/hook", "reserved address",
            "http://0.0.0.0:8080/hook", "unspecified",
            "http://no-such-host.invalid/hook", "does not resolve",
            "not a url", "is not a URL");
    for (Map.Entry<String, String> e : refused.entrySet()) {
      HttpResponse<String> r = create(e.getKey(), List.of("alias.moved"), SECRET);
      assertThat(r.statusCode()).as(e.getKey() + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).as(e.getKey()).contains("\"field\":\"url\"").contains(e.getValue());
    }
    HttpResponse<String> unknownEvent =
        create("http://127.0.0.1:9/hook", List.of("model.exploded"), SECRET);
    assertThat(unknownEvent.statusCode()).isEqualTo(400);
    assertThat(unknownEvent.body()).contains("model.exploded").contains("run.succeeded");
    HttpResponse<String> shortSecret =
        create("http://127.0.0.1:9/hook", List.of("alias.moved"), "short");
    assertThat(shortSecret.statusCode()).isEqualTo(400);
    assertThat(shortSecret.body()).contains("\"field\":\"secret\"").doesNotContain("short\"");
  }

  @Test
  void shouldNeverShowTheSecretAgain() throws Exception {
    HttpResponse<String> created =
        create("http://127.0.0.1:9/hook", List.of("alias.moved"), SECRET);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asString();
    assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/webhooks/" + id);
    for (String body :
        List.of(
            created.body(),
            get("/api/v1/webhooks/" + id).body(),
            get("/api/v1/webhooks?size=1000").body())) {
      assertThat(body).doesNotContain(SECRET).doesNotContain("secret");
    }
    deleteWebhook(id);
    assertThat(get("/api/v1/webhooks/" + id).statusCode()).isEqualTo(404);
  }

  @Test
  void shouldDeliverSignedRegistryEventsInTheOrderTheyHappened() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver(SECRET)) {
      String id = createOk(receiver.url(), "version.created", "alias.moved", "version.deleted");
      String model = TestVersions.uniqueModel("hooked");
      versions().register(model, Map.of(), List.of("champion"));
      registry.deleteAlias(model, "champion");
      registry.delete(model, 1);
      List<WebhookReceiver.Received> got = receiver.await(l -> l.size() >= 4, WAIT);
      assertThat(got)
          .extracting(WebhookReceiver.Received::event)
          .containsExactly("version.created", "alias.moved", "alias.moved", "version.deleted");
      assertThat(got).allMatch(WebhookReceiver.Received::signatureValid);
      assertThat(got.get(0).body().get("data").get("model").asString()).isEqualTo(model);
      assertThat(got.get(1).body().get("data").get("version").asInt()).isEqualTo(1);
      assertThat(got.get(2).body().get("data").get("version").isNull()).isTrue();
      for (WebhookReceiver.Received r : got) {
        assertThat(r.body().get("id").asString()).isEqualTo(r.deliveryId());
        assertThat(r.body().get("event").asString()).isEqualTo(r.event());
      }
      JsonNode list = deliveries(id);
      assertThat(list.get("total").asInt()).isEqualTo(4);
      for (JsonNode d : list.get("items")) {
        assertThat(d.get("state").asString()).isEqualTo("DELIVERED");
        JsonNode a = d.get("attempts").get(0);
        assertThat(a.get("statusCode").asInt()).isEqualTo(200);
        // Only an excerpt of the 5,000-character answer is kept.
        assertThat(a.get("responseExcerpt").asString())
            .startsWith("ok ")
            .hasSizeLessThanOrEqualTo(1024);
      }
      deleteWebhook(id);
    }
  }

  @Test
  void shouldRetryWithBackoffUntilTheReceiverAnswers() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver(SECRET).failFirst(3)) {
      String id = createOk(receiver.url(), "alias.moved");
      String model = TestVersions.uniqueModel("retried");
      versions().register(model, Map.of(), List.of("candidate"));
      List<WebhookReceiver.Received> got = receiver.await(l -> l.size() >= 4, WAIT);
      assertThat(got).hasSize(4);
      assertThat(got)
          .extracting(WebhookReceiver.Received::deliveryId)
          .containsOnly(got.get(0).deliveryId());
      assertThat(got)
          .extracting(WebhookReceiver.Received::attempt)
          .containsExactly("1", "2", "3", "4");
      assertThat(got).allMatch(WebhookReceiver.Received::signatureValid);
      JsonNode d = awaitDelivered(id);
      assertThat(d.get("attempts")).hasSize(4);
      assertThat(d.get("attempts").get(0).get("statusCode").asInt()).isEqualTo(500);
      assertThat(d.get("attempts").get(3).get("statusCode").asInt()).isEqualTo(200);
      deleteWebhook(id);
    }
  }

  private JsonNode awaitDelivered(String webhookId) throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    JsonNode d = null;
    while (System.nanoTime() < end) {
      d = deliveries(webhookId).get("items").get(0);
      if (d.get("state").asString().equals("DELIVERED")) {
        return d;
      }
      Thread.sleep(50);
    }
    return d;
  }

  @Test
  void shouldDeliverAgainUnderTheSameIdWhenTheDispatcherDiesMidDelivery() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver(SECRET).holdFirst()) {
      String id = createOk(receiver.url(), "version.created", "alias.moved");
      String model = TestVersions.uniqueModel("killed");
      versions().register(model, Map.of(), List.of("candidate"));
      assertThat(receiver.awaitFirst(WAIT)).isTrue();
      // Killed while the receiver holds the first request: nothing about it is recorded.
      dispatcher.stop();
      receiver.release();
      dispatcher.start();
      List<WebhookReceiver.Received> got =
          receiver.await(
              l ->
                  l.stream()
                              .map(WebhookReceiver.Received::event)
                              .filter("alias.moved"::equals)
                              .count()
                          >= 1
                      && l.size() >= 3,
              WAIT);
      // The first event twice (the cut attempt, then again after the lease), then the second.
      assertThat(got)
          .extracting(WebhookReceiver.Received::event)
          .containsExactly("version.created", "version.created", "alias.moved");
      assertThat(got.get(1).deliveryId()).isEqualTo(got.get(0).deliveryId());
      assertThat(got.get(1).attempt()).isEqualTo("2");
      assertThat(got).allMatch(WebhookReceiver.Received::signatureValid);
      JsonNode first = awaitDelivered(id); // newest first: alias.moved
      assertThat(first.get("event").asString()).isEqualTo("alias.moved");
      JsonNode cut = deliveries(id).get("items").get(1);
      assertThat(cut.get("state").asString()).isEqualTo("DELIVERED");
      assertThat(cut.get("attempts").get(0).get("statusCode").isNull()).isTrue();
      assertThat(cut.get("attempts").get(1).get("statusCode").asInt()).isEqualTo(200);
      Set<String> ids =
          got.stream().map(WebhookReceiver.Received::deliveryId).collect(Collectors.toSet());
      assertThat(ids).hasSize(2);
      deleteWebhook(id);
    }
  }
}
