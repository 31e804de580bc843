package dev.graft.events;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Delivers webhooks from the outbox: claims due deliveries (see {@link WebhookStore#claim}), POSTs
 * each signed event to its webhook with short timeouts, and records the attempt; a delivery that is
 * not answered with a 2xx is tried again after an exponential backoff with jitter, until {@code
 * graft.webhooks.max-attempts}. Any number of processes may dispatch: claims are leased, so a
 * dispatcher that dies mid-delivery loses its claims when the lease ends, and another (or itself,
 * restarted) delivers them again under the same delivery id. Delivery is at least once.
 */
@Component
class Dispatcher implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final int MAX_ERROR = 2000;

  private final WebhookStore store;
  private final WebhookProperties properties;
  private final DeliveryWakeUp wakeUp;
  private final UrlPolicy policy;
  private final HttpClient client;
  private volatile Generation current;

  Dispatcher(WebhookStore store, WebhookProperties properties, DeliveryWakeUp wakeUp) {
    this.store = store;
    this.properties = properties;
    this.wakeUp = wakeUp;
    this.policy = new UrlPolicy(properties.allowedHosts(), properties.allowPublicAddresses());
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(properties.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  /**
   * One life of the dispatcher, from start to stop, under its own owner name: claims made by an
   * earlier life are that life's until their lease ends, as if another process had made them.
   */
  private final class Generation {
    final String owner =
        ManagementFactory.getRuntimeMXBean().getName()
            + "/"
            + UUID.randomUUID().toString().substring(0, 8);
    final ExecutorService pool =
        Executors.newFixedThreadPool(
            properties.concurrency(),
            r -> {
              Thread t = new Thread(r, "graft-webhook-delivery");
              t.setDaemon(true);
              return t;
            });
    final AtomicInteger inFlight = new AtomicInteger();
    final Thread loop = new Thread(() -> loop(this), "graft-webhook-dispatcher");
    volatile boolean running = true;
    volatile boolean halted;
  }

  @Override
  public synchronized void start() {
    if (!properties.dispatcher() || current != null) {
      return;
    }
    Generation g = new Generation();
    current = g;
    g.loop.setDaemon(true);
    g.loop.start();
    log.info("webhook dispatcher {} started", g.owner);
  }

  /**
   * Stops claiming and abandons the attempts in flight without recording them, as a killed process
   * would: their leases expire and they are delivered again (at least once).
   */
  @Override
  public synchronized void stop() {
    Generation g = current;
    if (g == null) {
      return;
    }
    current = null;
    g.running = false;
    g.halted = true;
    g.loop.interrupt();
    g.pool.shutdownNow();
    try {
      g.loop.join(2000);
      g.pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("webhook dispatcher {} stopped", g.owner);
  }

  @Override
  public boolean isRunning() {
    return current != null;
  }

  /**
   * Stops before the data source closes (default phase), after the web server stops taking calls.
   */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 2048;
  }

  private void loop(Generation g) {
    long lastSweep = 0;
    while (g.running) {
      try {
        if (System.nanoTime() - lastSweep > properties.pollInterval().toNanos()) {
          int failed = store.failAbandoned(properties.maxAttempts());
          if (failed > 0) {
            log.warn(
                "{} webhook deliveries given up: their last attempt's dispatcher died", failed);
          }
          lastSweep = System.nanoTime();
        }
        int free = properties.concurrency() - g.inFlight.get();
        List<WebhookStore.Claimed> claimed =
            free <= 0
                ? List.of()
                : store.claim(g.owner, properties.lease(), properties.maxAttempts(), free);
        for (WebhookStore.Claimed c : claimed) {
          g.inFlight.incrementAndGet();
          g.pool.execute(
              () -> {
                try {
                  deliver(g, c);
                } finally {
                  g.inFlight.decrementAndGet();
                  wakeUp.wake();
                }
              });
        }
        if (claimed.isEmpty()) {
          wakeUp.await(properties.pollInterval().toMillis());
        }
      } catch (InterruptedException e) {
        return;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return;
      } catch (RuntimeException e) {
        // The database is down or restarting: nothing is lost (the rows are durable), try later.
        log.warn("webhook dispatcher {}: {}; retrying", g.owner, e.toString());
        try {
          Thread.sleep(properties.pollInterval().toMillis());
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  /** The outcome of one attempt. */
  private record Outcome(Integer status, String error, String excerpt) {
    boolean delivered() {
      return status != null && status >= 200 && status < 300;
    }
  }

  private void deliver(Generation g, WebhookStore.Claimed c) {
    byte[] body = body(c).getBytes(StandardCharsets.UTF_8);
    long started = System.nanoTime();
    Outcome outcome;
    try {
      outcome = post(c, body);
    } catch (InterruptedException e) {
      // Stopped mid-delivery: the claim is left to expire, as a dead process would leave it.
      return;
    }
    if (g.halted) {
      return;
    }
    int ms = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - started) / 1_000_000);
    try {
      store.attempted(c.attemptRow(), ms, outcome.status(), outcome.error(), outcome.excerpt());
      String state;
      Instant next = null;
      if (outcome.delivered()) {
        state = "DELIVERED";
      } else if (c.attempt() >= properties.maxAttempts()) {
        state = "FAILED";
        log.warn(
            "webhook delivery {} ({} #{}) given up after {} attempts: {}",
            c.deliveryId(),
            c.type(),
            c.eventId(),
            c.attempt(),
            outcome.error() != null ? outcome.error() : "HTTP " + outcome.status());
      } else {
        state = "PENDING";
        next = Instant.now().plus(jittered(properties.backoffAfter(c.attempt())));
      }
      if (!store.settle(c.deliveryId(), g.owner, state, next)) {
        log.info(
            "webhook delivery {}: the lease ended before the answer came; another attempt follows",
            c.deliveryId());
      }
    } catch (RuntimeException e) {
      // The webhook was deleted meanwhile, or the database is away: the lease expires and the
      // delivery is tried again (if it still exists).
      log.warn("webhook delivery {}: outcome not recorded: {}", c.deliveryId(), e.toString());
    }
  }

  /** Half the backoff plus a random share of the other half ("equal jitter"). */
  static Duration jittered(Duration backoff) {
    long ms = backoff.toMillis();
    long half = ms / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ms - half + 1));
  }

  private Outcome post(WebhookStore.Claimed c, byte[] body) throws InterruptedException {
    URI uri;
    try {
      uri = policy.check(c.url());
    } catch (WebhookUrlRefused e) {
      return new Outcome(null, "not sent: " + e.getMessage(), null);
    }
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(properties.timeout())
            .header("Content-Type", "application/json")
            .header("User-Agent", "Graft-Webhooks/1")
            .header("X-Graft-Event", c.type())
            .header("X-Graft-Delivery", c.deliveryId().toString())
            .header("X-Graft-Attempt", Integer.toString(c.attempt()))
            .header("X-Graft-Signature", Signatures.sign(c.secret(), body))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    int max = (int) properties.responseExcerpt().toBytes();
    CompletableFuture<HttpResponse<byte[]>> call =
        client.sendAsync(request, info -> new LimitedBody(max));
    try {
      HttpResponse<byte[]> r =
          call.get(
              properties.connectTimeout().plus(properties.timeout()).toMillis(),
              TimeUnit.MILLISECONDS);
      return new Outcome(r.statusCode(), null, excerpt(r.body()));
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } catch (TimeoutException e) {
      call.cancel(true);
      return new Outcome(null, "no answer within " + properties.timeout().toMillis() + " ms", null);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      String text = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      return new Outcome(null, cut(text.replace('\0', ' '), MAX_ERROR), null);
    }
  }

  /** The event as delivered: the same bytes on every attempt. */
  static String body(WebhookStore.Claimed c) {
    return "{\"id\":\""
        + c.deliveryId()
        + "\",\"event\":\""
        + c.type()
        + "\",\"eventId\":"
        + c.eventId()
        + ",\"occurredAt\":\""
        + c.eventCreatedAt()
        + "\",\"data\":"
        + c.payloadJson()
        + "}";
  }

  private static String excerpt(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return null;
    }
    try {
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPLACE)
              .onUnmappableCharacter(CodingErrorAction.REPLACE)
              .decode(java.nio.ByteBuffer.wrap(bytes))
              .toString();
      return s.replace('\0', '\uFFFD');
    } catch (java.nio.charset.CharacterCodingException e) {
      return null;
    }
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
