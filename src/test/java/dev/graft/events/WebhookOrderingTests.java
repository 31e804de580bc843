package dev.graft.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A thousand events recorded by eight concurrent writers reach each of two webhooks once each, in
 * the outbox's order, which keeps every writer's own order; prints the delivery latency (change to
 * first attempt) the dispatcher achieved.
 */
class WebhookOrderingTests extends IntegrationTest {

  private static final String SECRET = "ordering-test-secret-0123456789";
  private static final int WRITERS = 8;
  private static final int PER_WRITER = 125;

  @Autowired Outbox outbox;
  @Autowired TransactionTemplate tx;
  @Autowired JdbcClient jdbc;

  private String create(String url) throws Exception {
    Map<String, Object> body =
        Map.of("url", url, "events", List.of("alias.moved"), "secret", SECRET);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/webhooks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).get("id").asString();
  }

  @Test
  void shouldDeliverAThousandEventsToEachWebhookInOrder() throws Exception {
    try (WebhookReceiver a = new WebhookReceiver(SECRET);
        WebhookReceiver b = new WebhookReceiver(SECRET)) {
      String hookA = create(a.url());
      String hookB = create(b.url());
      String run = java.util.UUID.randomUUID().toString();
      ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        done.add(
            writers.submit(
                () -> {
                  for (int i = 0; i < PER_WRITER; i++) {
                    Map<String, Object> data = new HashMap<>();
                    data.put("model", "ordering-" + run);
                    data.put("alias", "w" + writer);
                    data.put("version", i);
                    tx.executeWithoutResult(s -> outbox.record(EventType.ALIAS_MOVED, data));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      writers.shutdown();
      int total = WRITERS * PER_WRITER;
      List<WebhookReceiver.Received> gotA = a.await(l -> l.size() >= total, Duration.ofSeconds(60));
      List<WebhookReceiver.Received> gotB = b.await(l -> l.size() >= total, Duration.ofSeconds(60));
      List<Long> outboxOrder =
          jdbc.sql("select id from outbox_event where payload->>'model' = ? order by xid, id")
              .param("ordering-" + run)
              .query(Long.class)
              .list();
      assertThat(outboxOrder).hasSize(total);
      for (List<WebhookReceiver.Received> got : List.of(gotA, gotB)) {
        assertThat(got).hasSize(total);
        assertThat(got).allMatch(WebhookReceiver.Received::signatureValid);
        assertThat(got.stream().map(r -> r.body().get("eventId").asLong()).toList())
            .containsExactlyElementsOf(outboxOrder);
        Map<String, Integer> lastOfWriter = new HashMap<>();
        for (WebhookReceiver.Received r : got) {
          String writer = r.body().get("data").get("alias").asString();
          int version = r.body().get("data").get("version").asInt();
          assertThat(version).isEqualTo(lastOfWriter.getOrDefault(writer, -1) + 1);
          lastOfWriter.put(writer, version);
        }
      }
      printLatency(hookA, hookB);
      delete("/api/v1/webhooks/" + hookA);
      delete("/api/v1/webhooks/" + hookB);
    }
  }

  @Test
  void shouldPrintTheLatencyOfSingleChanges() throws Exception {
    try (WebhookReceiver a = new WebhookReceiver(SECRET)) {
      String hook = create(a.url());
      for (int i = 0; i < 20; i++) {
        int n = i + 1;
        Map<String, Object> data = new HashMap<>();
        data.put("model", "latency");
        data.put("alias", "champion");
        data.put("version", n);
        tx.executeWithoutResult(s -> outbox.record(EventType.ALIAS_MOVED, data));
        assertThat(a.await(l -> l.size() >= n, Duration.ofSeconds(10))).hasSize(n);
      }
      System.out.println("one change at a time, the dispatcher idle in between:");
      printLatency(hook);
      delete("/api/v1/webhooks/" + hook);
    }
  }

  /** Change (the event's recording) to the first attempt's start, over this test's deliveries. */
  private void printLatency(String... hooks) {
    for (String hook : hooks) {
      Map<String, Object> row =
          jdbc.sql(
                  "select count(*) as n,"
                      + " percentile_cont(0.5) within group (order by ms) as p50,"
                      + " percentile_cont(0.9) within group (order by ms) as p90,"
                      + " max(ms) as max,"
                      + " avg(dur) as post_ms,"
                      + " extract(epoch from (max(created) - min(created))) as recorded_s,"
                      + " extract(epoch from (max(started) - min(started))) as delivered_s from ("
                      + "  select extract(epoch from (a.started_at - e.created_at)) * 1000 as ms,"
                      + "  e.created_at as created, a.started_at as started, a.duration_ms as dur"
                      + "    from webhook_delivery d join outbox_event e on e.id = d.event_id"
                      + "    join webhook_attempt a on a.delivery_id = d.id and a.attempt = 1"
                      + "   where d.webhook_id = cast(? as uuid)) t")
              .param(hook)
              .query()
              .singleRow();
      System.out.printf(
          "webhook latency, change -> first attempt: n=%s p50=%.1f ms"
              + " p90=%.1f ms max=%.1f ms (recorded over %.1f s, first attempts over %.1f s, POST %.1f ms on average)%n",
          row.get("n"),
          ((Number) row.get("p50")).doubleValue(),
          ((Number) row.get("p90")).doubleValue(),
          ((Number) row.get("max")).doubleValue(),
          ((Number) row.get("recorded_s")).doubleValue(),
          ((Number) row.get("delivered_s")).doubleValue(),
          ((Number) row.get("post_ms")).doubleValue());
    }
  }
}
