package dev.graft.events;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A webhook receiver on loopback: checks each request's signature against the secret, as a real
 * receiver must, and keeps every request it was sent. It can answer 500 to the first N requests, or
 * hold the first request until released.
 */
final class WebhookReceiver implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  static {
    // Without it the JDK server's two writes per answer meet the client's delayed ACK: ~40 ms each.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  /** One request as received. */
  record Received(
      String deliveryId, String event, String attempt, boolean signatureValid, JsonNode body) {}

  private final HttpServer server;
  private final String secret;
  private final List<Received> received = new ArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile CountDownLatch hold;
  private final CountDownLatch firstArrived = new CountDownLatch(1);

  WebhookReceiver(String secret) throws IOException {
    this.secret = secret;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/hook", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  /** Answers 500 to the next {@code n} requests. */
  WebhookReceiver failFirst(int n) {
    failuresLeft.set(n);
    return this;
  }

  /** Holds the first request unanswered until {@link #release()}. */
  WebhookReceiver holdFirst() {
    hold = new CountDownLatch(1);
    return this;
  }

  void release() {
    CountDownLatch h = hold;
    if (h != null) {
      h.countDown();
    }
  }

  boolean awaitFirst(Duration d) throws InterruptedException {
    return firstArrived.await(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void handle(HttpExchange x) throws IOException {
    byte[] body = x.getRequestBody().readAllBytes();
    String signature = x.getRequestHeaders().getFirst("X-Graft-Signature");
    boolean valid =
        signature != null
            && MessageDigest.isEqual(
                signature.getBytes(StandardCharsets.US_ASCII),
                Signatures.sign(secret, body).getBytes(StandardCharsets.US_ASCII));
    Received r =
        new Received(
            x.getRequestHeaders().getFirst("X-Graft-Delivery"),
            x.getRequestHeaders().getFirst("X-Graft-Event"),
            x.getRequestHeaders().getFirst("X-Graft-Attempt"),
            valid,
            JSON.readTree(body));
    CountDownLatch h;
    synchronized (received) {
      received.add(r);
      h = received.size() == 1 ? hold : null;
    }
    firstArrived.countDown();
    if (h != null) {
      try {
        h.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int status = failuresLeft.getAndDecrement() > 0 ? 500 : 200;
    byte[] answer =
        (status == 200 ? "ok " : "not now ")
            .concat("x".repeat(5000))
            .getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, answer.length);
    try (var out = x.getResponseBody()) {
      out.write(answer);
    } catch (IOException gone) {
      // The dispatcher gave up on this request.
    }
  }

  /** What was received so far. */
  List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** Waits until {@code done} holds for what was received, or {@code timeout} passes. */
  List<Received> await(Predicate<List<Received>> done, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      List<Received> now = received();
      if (done.test(now)) {
        return now;
      }
      Thread.sleep(20);
    }
    return received();
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
