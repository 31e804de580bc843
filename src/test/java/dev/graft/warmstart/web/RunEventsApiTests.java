package dev.graft.warmstart.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.IntegrationTest;
import dev.graft.events.EventStreamProperties;
import dev.graft.shared.TooManyStreams;
import dev.graft.warmstart.RunService;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * A real run followed over server-sent events: progress read from the database at each poll, never
 * going back, ending with a {@code status} event that says SUCCEEDED; a reconnect with {@code
 * Last-Event-ID} gets only what followed.
 */
class RunEventsApiTests extends IntegrationTest {

  private static final int TENSORS = 48;
  private static final int FLOATS = 256 * 1024;

  @Autowired RunService runService;

  /** One server-sent event. */
  record Event(String id, String name, JsonNode data) {}

  /** Reads a stream to its end (bounded by the request's timeout). */
  private Wrapped<List<Event>> follow(String runId, String lastEventId) throws Exception {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(uri("/api/v1/warm-starts/" + runId + "/events"))
            .header("Accept", "text/event-stream")
            .timeout(Duration.ofSeconds(60))
            .GET();
    if (lastEventId != null) {
      req.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<java.util.stream.Stream<String>> r =
        http.send(req.build(), HttpResponse.BodyHandlers.ofLines());
    List<Event> events = new ArrayList<>();
    String id = null;
    String name = null;
    StringBuilder data = new StringBuilder();
    for (String line : (Iterable<String>) r.body()::iterator) {
      if (line.isEmpty()) {
        if (data.length() > 0) {
          events.add(new Event(id, name, JSON.readTree(data.toString())));
        }
        id = null;
        name = null;
        data.setLength(0);
      } else if (line.startsWith("id:")) {
        id = line.substring(3).trim();
      } else if (line.startsWith("event:")) {
        name = line.substring(6).trim();
      } else if (line.startsWith("data:")) {
        data.append(line.substring(5));
      }
    }
    return new Wrapped<>(r, events);
  }

  private String submitRun() throws Exception {
    StringBuilder header = new StringBuilder("{");
    StringBuilder entries = new StringBuilder();
    for (int i = 0; i < TENSORS; i++) {
      long from = (long) i * FLOATS * 4;
      header
          .append(i == 0 ? "" : ",")
          .append("\"t")
          .append(i)
          .append("\":{\"dtype\":\"F32\",\"shape\":[")
          .append(FLOATS)
          .append("],\"data_offsets\":[")
          .append(from)
          .append(",")
          .append(from + FLOATS * 4L)
          .append("]}");
      entries
          .append(i == 0 ? "" : ",")
          .append("{\"key\":\"t")
          .append(i)
          .append("\",\"dtype\":\"float32\",\"shape\":[")
          .append(FLOATS)
          .append("],\"kind\":\"PARAMETER\",\"init\":{\"scheme\":\"zeros\"}}");
    }
    header.append(",\"__metadata__\":{\"test\":\"").append(UUID.randomUUID()).append("\"}}");
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b =
        ByteBuffer.allocate(8 + h.length + TENSORS * FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    for (int i = 0; i < TENSORS * FLOATS; i++) {
      b.putFloat(i);
    }
    HttpResponse<String> ckpt =
        postBytes("/api/v1/checkpoints?name=sse-" + UUID.randomUUID(), b.array());
    assertThat(ckpt.statusCode()).as(ckpt.body()).isIn(200, 201);
    HttpResponse<String> arch =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/architectures"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"sse-"
                            + UUID.randomUUID()
                            + "\",\"entries\":["
                            + entries
                            + "]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(arch.statusCode()).as(arch.body()).isIn(200, 201);
    String body =
        "{\"checkpointId\":\""
            + JSON.readTree(ckpt.body()).get("id").asString()
            + "\",\"architectureId\":\""
            + JSON.readTree(arch.body()).get("id").asString()
            + "\",\"output\":{\"model\":\"sse-"
            + UUID.randomUUID().toString().substring(0, 8)
            + "\"}}";
    HttpResponse<String> run =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/warm-starts"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(run.statusCode()).as(run.body()).isEqualTo(202);
    return JSON.readTree(run.body()).get("id").asString();
  }

  @Test
  void shouldStreamMonotonicProgressAndEndWithTheStatusThenResumeAfterLastEventId()
      throws Exception {
    String run = submitRun();
    Wrapped<List<Event>> first = follow(run, null);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    List<Event> events = first.body();
    System.out.println("run events: " + events.stream().map(e -> e.name() + "@" + e.id()).toList());
    assertThat(events).isNotEmpty();
    Event last = events.get(events.size() - 1);
    assertThat(last.name()).isEqualTo("status");
    assertThat(last.id()).isEqualTo("end");
    assertThat(last.data().get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(last.data().get("id").asString()).isEqualTo(run);
    List<Event> progress = events.subList(0, events.size() - 1);
    assertThat(progress).isNotEmpty().allMatch(e -> e.name().equals("progress"));
    long tensors = -1;
    long bytes = -1;
    for (Event e : progress) {
      assertThat(e.data().get("attempt").asInt()).isLessThanOrEqualTo(1);
      long t = e.data().get("tensorsDone").asLong();
      long by = e.data().get("bytesDone").asLong();
      assertThat(t).isGreaterThanOrEqualTo(tensors);
      assertThat(by).isGreaterThanOrEqualTo(bytes);
      assertThat(e.id()).isEqualTo(e.data().get("attempt").asInt() + "." + t + "." + by);
      tensors = t;
      bytes = by;
    }
    Event done = progress.get(progress.size() - 1);
    assertThat(done.data().get("tensorsDone").asInt()).isEqualTo(TENSORS);
    assertThat(done.data().get("bytesDone").asLong())
        .isEqualTo(done.data().get("bytesTotal").asLong());

    // Reconnecting after the first event: only what followed it, and the end.
    Wrapped<List<Event>> resumed = follow(run, progress.get(0).id());
    assertThat(resumed.body()).extracting(Event::id).doesNotContain(progress.get(0).id());
    assertThat(resumed.body().get(resumed.body().size() - 1).name()).isEqualTo("status");
    if (progress.size() > 1) {
      assertThat(resumed.body()).extracting(Event::id).contains(done.id());
    }
    // After the final event there is nothing more: 204 tells EventSource to stop reconnecting.
    HttpResponse<String> after =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/warm-starts/" + run + "/events"))
                .header("Last-Event-ID", "end")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(after.statusCode()).isEqualTo(204);
  }

  @Test
  void shouldAnswerProblemsBeforeAStreamStarts() throws Exception {
    HttpResponse<String> unknown =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/warm-starts/" + UUID.randomUUID() + "/events"))
                .header("Accept", "text/event-stream")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("does not exist");
    HttpResponse<String> badId =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/warm-starts/" + UUID.randomUUID() + "/events"))
                .header("Last-Event-ID", "yesterday")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(badId.body()).contains("Last-Event-ID");
  }

  @Test
  void shouldRefuseStreamsBeyondTheBound() {
    RunEventStreams streams =
        new RunEventStreams(
            runService, new EventStreamProperties(1, Duration.ofSeconds(1), Duration.ofSeconds(5)));
    try {
      UUID run = UUID.randomUUID();
      streams.open(run, null);
      assertThatThrownBy(() -> streams.open(run, null))
          .isInstanceOf(TooManyStreams.class)
          .hasMessageContaining("graft.events.max-streams");
    } finally {
      streams.close();
    }
  }

  /** A response whose body was parsed into events. */
  record Wrapped<T>(HttpResponse<?> raw, T body) {
    int statusCode() {
      return raw.statusCode();
    }

    java.net.http.HttpHeaders headers() {
      return raw.headers();
    }
  }
}
