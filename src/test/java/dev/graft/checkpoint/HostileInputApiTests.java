package dev.graft.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Issue 8's hostile inputs thrown at the running server. Every file of the hostile corpus ({@code
 * scripts/make_hostile_inputs.py}, committed under {@code src/test/resources/hostile/}, plus the
 * large set in {@code $GRAFT_HOSTILE_LARGE_DIR} when that is set) is posted to its endpoint, and so
 * are requests whose text a client controls (names, filters, key rules, URLs, headers, bodies).
 * Each must be answered within a bound with the status its manifest allows, as {@code
 * application/problem+json} with a short detail, leaving no new checkpoint or architecture, no
 * staged upload, a healthy server and no {@code /tmp/graft-pwned*} marker.
 *
 * <p>The classes that can take a server down go last (code execution, then the process kill), so
 * that one run reports on everything else. Each case is also appended to {@code
 * target/hostile-input-results.tsv}: a SENT line before the request, then its verdict (OK or FAIL,
 * the status, the seconds and every problem found), so a case that kills the JVM still shows.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputApiTests extends IntegrationTest {

  private static final String CORPUS = "hostile/";
  private static final String LARGE_DIR = System.getenv("GRAFT_HOSTILE_LARGE_DIR");
  private static final Duration BOUND =
      Duration.ofSeconds(Long.parseLong(System.getProperty("graft.hostile.bound-seconds", "10")));
  // -Dgraft.hostile.only=REGEX sends only the files whose "set/file" name matches, e.g. large/.*
  private static final java.util.regex.Pattern ONLY =
      java.util.regex.Pattern.compile(System.getProperty("graft.hostile.only", ".*"));
  private static final int MAX_DETAIL = 2000;
  private static final long MAX_ACCEPTED_BODY = 1 << 20;
  // Issue 8's classes in the order they are sent: what can kill or hijack the server goes last.
  private static final List<Integer> CLASS_ORDER = List.of(5, 6, 7, 3, 4, 1, 2);
  private static final Path RESULTS = Path.of("target", "hostile-input-results.tsv");

  /** One file of the corpus and its manifest entry. */
  record Hostile(Path file, JsonNode entry) {
    String name() {
      return entry.get("set").asString() + "/" + entry.get("file").asString();
    }

    int hostileClass() {
      return entry.get("class").asInt();
    }
  }

  /** What a request may be answered with. */
  record Expect(List<Integer> statuses, boolean mayAccept, String mustNotSay) {
    static Expect refused(Integer... statuses) {
      return new Expect(List.of(statuses), false, null);
    }

    static Expect refusedOrAccepted(Integer... statuses) {
      return new Expect(List.of(statuses), true, null);
    }

    String words() {
      return (mayAccept ? "2xx or " : "")
          + statuses.stream().map(String::valueOf).collect(Collectors.joining("/"));
    }
  }

  static List<Hostile> corpus() throws IOException {
    List<Hostile> out = new ArrayList<>(read(resource(CORPUS + "manifest.json").getParent()));
    if (LARGE_DIR != null && !LARGE_DIR.isBlank()) {
      out.addAll(read(Path.of(LARGE_DIR)));
    }
    out.removeIf(h -> !ONLY.matcher(h.name()).matches());
    out.sort(Comparator.comparingInt(h -> CLASS_ORDER.indexOf(h.hostileClass())));
    return out;
  }

  private static List<Hostile> read(Path dir) throws IOException {
    JsonNode manifest = JSON.readTree(Files.readAllBytes(dir.resolve("manifest.json")));
    List<Hostile> out = new ArrayList<>();
    manifest
        .get("files")
        .forEach(e -> out.add(new Hostile(dir.resolve(e.get("file").asString()), e)));
    return out;
  }

  @BeforeAll
  static void startResults() throws IOException {
    Files.createDirectories(RESULTS.getParent());
    Files.writeString(
        RESULTS,
        "case\tclass\texpected\tstatus\tseconds\tverdict\tproblems\n",
        StandardCharsets.UTF_8);
    deleteMarkersQuietly();
  }

  @Test
  @Order(0)
  void shouldHoldAFileOfEveryClassOfTheIssueWithinTheCommittedBudget() throws IOException {
    List<Hostile> committed = read(resource(CORPUS + "manifest.json").getParent());
    assertThat(committed.stream().map(Hostile::hostileClass).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7);
    long bytes = 0;
    for (Hostile h : committed) {
      byte[] data = Files.readAllBytes(h.file());
      assertThat(dev.graft.TestSupport.sha256(data))
          .as(h.name())
          .isEqualTo(h.entry().get("sha256").asString());
      bytes += data.length;
    }
    assertThat(bytes).as("committed corpus bytes").isLessThan(3_000_000);
  }

  // ------------------------------------------------------------------------------------------
  // Text a client controls, outside files.

  @TestFactory
  @Order(1)
  Stream<DynamicTest> shouldRefuseHostileTextBeforeItReachesTheDatabase() throws Exception {
    String unique = UUID.randomUUID().toString().replace("-", "");
    // Sized so that today's backtracking engine spends 20-40 s on each (a naive one would take
    // forever on longer runs) while the run stays finite.
    String backtracking = "a".repeat(31) + "!";
    String longTargetKey = "a".repeat(700);
    HttpResponse<String> ck =
        postBytes(
            "/api/v1/checkpoints?name=hostile-text-" + unique,
            safetensors(List.of("u" + unique + ".weight", backtracking, "backbone.fc.weight")));
    assertThat(ck.statusCode()).as(ck.body()).isEqualTo(201);
    String checkpointId = json(ck).get("id").asString();
    ObjectNode doc = JSON.createObjectNode();
    doc.put("name", "hostile-text-" + unique);
    ArrayNode entries = doc.putArray("entries");
    for (String key : List.of("u" + unique + ".weight", longTargetKey, "fc.weight")) {
      ObjectNode e = entries.addObject();
      e.put("key", key);
      e.put("dtype", "float32");
      e.putArray("shape").add(1);
      e.putObject("init").put("scheme", "zeros");
    }
    HttpResponse<String> arch = postJson("/api/v1/architectures", doc.toString());
    assertThat(arch.statusCode()).as(arch.body()).isEqualTo(201);
    String architectureId = json(arch).get("id").asString();

    List<DynamicTest> tests = new ArrayList<>();
    Expect text = Expect.refused(400, 422);
    tests.add(getCase("q with NUL on checkpoints", "/api/v1/checkpoints?q=a%00b", text));
    tests.add(getCase("q with NUL on models", "/api/v1/models?q=a%00b", text));
    tests.add(getCase("tag with NUL on models", "/api/v1/models?tag=team:a%00b", text));
    tests.add(
        getCase(
            "prefix with NUL on tensors",
            "/api/v1/checkpoints/" + checkpointId + "/tensors?prefix=a%00b",
            text));

    Expect rule = Expect.refused(400, 422);
    Map<String, String> replacements =
        Map.of(
            "replacement $9 (no such group)", "$9",
            "replacement \\ (dangling escape)", "\\",
            "replacement ${nope} (no such named group)", "${nope}");
    replacements.forEach(
        (label, replacement) ->
            tests.add(
                previewCase(
                    "regex rule " + label,
                    checkpointId,
                    architectureId,
                    options(regexRule("^(.*)$", replacement), null),
                    rule)));
    tests.add(
        previewCase(
            "regex rule with a backreference that backtracks exponentially",
            checkpointId,
            architectureId,
            options(regexRule("^(a+)+\\1$", "x"), null),
            rule));
    tests.add(
        previewCase(
            "regex rule with a lookahead that backtracks exponentially",
            checkpointId,
            architectureId,
            options(regexRule("^(?=(a+)+$)b", "x"), null),
            rule));
    // Valid in a linear-time engine (RE2/J): refusing or answering in time are both fine.
    Expect linear = Expect.refusedOrAccepted(400, 422);
    tests.add(
        previewCase(
            "regex rule (.*a){12}$ against a 31-character run (polynomial backtracking)",
            checkpointId,
            architectureId,
            options(regexRule("(.*a){12}$", "x"), null),
            linear));
    tests.add(
        previewCase(
            "freeze glob *a*a*a*b against a 700-character key (polynomial backtracking)",
            checkpointId,
            architectureId,
            options(null, "*a*a*a*b"),
            linear));
    tests.add(
        previewCase(
            "regex rule of 100,000 characters",
            checkpointId,
            architectureId,
            options(regexRule("a?".repeat(50_000), "x"), null),
            Expect.refused(400, 413, 422)));
    ArrayNode many = JSON.createArrayNode();
    for (int i = 0; i < 20_000; i++) {
      many.addObject().put("type", "addPrefix").put("prefix", "p" + i + ".");
    }
    tests.add(
        previewCase(
            "20,000 addPrefix rules",
            checkpointId,
            architectureId,
            options(many, null),
            Expect.refused(400, 413, 422)));
    return tests.stream();
  }

  private static ObjectNode regexRule(String pattern, String replacement) {
    ObjectNode r = JSON.createObjectNode();
    r.put("type", "regex");
    r.put("pattern", pattern);
    r.put("replacement", replacement);
    return r;
  }

  private static ObjectNode options(JsonNode rules, String freeze) {
    ObjectNode o = JSON.createObjectNode();
    o.put("strict", false);
    if (rules instanceof ArrayNode a) {
      o.set("keyRules", a);
    } else if (rules != null) {
      o.putArray("keyRules").add(rules);
    }
    if (freeze != null) {
      o.putArray("freeze").add(freeze);
    }
    return o;
  }

  private DynamicTest getCase(String label, String pathAndQuery, Expect expect) {
    return DynamicTest.dynamicTest(
        label,
        () ->
            check(
                "text: " + label,
                "-",
                expect,
                () -> exchange(request(pathAndQuery).GET().build(), BOUND)));
  }

  private DynamicTest previewCase(
      String label, String checkpointId, String architectureId, ObjectNode options, Expect expect) {
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", checkpointId);
    body.put("architectureId", architectureId);
    body.set("options", options);
    String text = body.toString();
    return DynamicTest.dynamicTest(
        label,
        () ->
            check(
                "preview: " + label,
                "-",
                expect,
                () ->
                    exchange(
                        request("/api/v1/previews")
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(text))
                            .build(),
                        BOUND)));
  }

  // ------------------------------------------------------------------------------------------
  // Malformed HTTP that Tomcat answers before Spring sees it.

  @TestFactory
  @Order(2)
  Stream<DynamicTest> shouldAnswerMalformedHttpWithProblemDetails() {
    Expect bad = Expect.refused(400, 413, 414, 431);
    return Stream.of(
        DynamicTest.dynamicTest(
            "a 20,000-character URL",
            () ->
                check(
                    "http: a 20,000-character URL",
                    "7",
                    bad,
                    () ->
                        raw(
                            "GET /api/v1/checkpoints?q="
                                + "a".repeat(20_000)
                                + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))),
        DynamicTest.dynamicTest(
            "a 20,000-character header",
            () ->
                check(
                    "http: a 20,000-character header",
                    "7",
                    bad,
                    () ->
                        raw(
                            "GET /api/v1/checkpoints HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                                + "a".repeat(20_000)
                                + "\r\nConnection: close\r\n\r\n"))),
        DynamicTest.dynamicTest(
            "a chunked upload with a malformed chunk header",
            () ->
                check(
                    "http: a chunked upload with a malformed chunk header",
                    "7",
                    Expect.refused(400),
                    () ->
                        raw(
                            "POST /api/v1/checkpoints?name=hostile-chunked HTTP/1.1\r\n"
                                + "Host: localhost\r\nContent-Type: application/octet-stream\r\n"
                                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                + "4\r\nPK\u0003\u0004\r\nzz-not-a-size\r\nxxxx\r\n0\r\n\r\n"))));
  }

  // ------------------------------------------------------------------------------------------
  // The corpus.

  @TestFactory
  @Order(3)
  Stream<DynamicTest> shouldAnswerEveryHostileFileInBoundedTimeLeavingNothingBehind()
      throws IOException {
    return corpus().stream()
        .map(
            h ->
                DynamicTest.dynamicTest(
                    "class " + h.hostileClass() + ": " + h.name(),
                    h.file().toUri(),
                    () -> send(h)));
  }

  private void send(Hostile h) throws Exception {
    JsonNode e = h.entry();
    String query = e.path("query").asString("");
    HttpRequest.Builder b =
        request("/api/v1/" + e.get("endpoint").asString() + (query.isEmpty() ? "" : "?" + query))
            .timeout(bound(Files.size(h.file())))
            .header("Content-Type", e.get("contentType").asString())
            .POST(HttpRequest.BodyPublishers.ofFile(h.file()));
    e.path("headers").properties().forEach(p -> b.header(p.getKey(), p.getValue().asString()));
    List<Integer> statuses = new ArrayList<>();
    e.get("expect").forEach(s -> statuses.add(s.asInt()));
    Expect expect =
        new Expect(
            statuses,
            e.path("mayAccept").asBoolean(false),
            e.path("detailMustNotContain").asString(null));
    check(
        h.name(),
        String.valueOf(h.hostileClass()),
        expect,
        () -> exchange(b.build(), bound(Files.size(h.file()))),
        bound(Files.size(h.file())));
  }

  /** The time an answer may take: the bound, plus a second per 10 MB of upload. */
  private static Duration bound(long bytes) {
    return BOUND.plusSeconds(bytes / 10_000_000);
  }

  // ------------------------------------------------------------------------------------------
  // The checks every case shares.

  private interface Call {
    HttpResponse<String> send() throws Exception;
  }

  private void check(String name, String hostileClass, Expect expect, Call call) throws Exception {
    check(name, hostileClass, expect, call, BOUND);
  }

  /**
   * Sends one request and judges everything about it; the problems found go to the results file
   * and, together, into the one failure this case reports.
   */
  private void check(String name, String hostileClass, Expect expect, Call call, Duration bound)
      throws Exception {
    List<String> problems = new ArrayList<>();
    // A fresh client per case: an earlier case may have left the shared one broken.
    http = newClient();
    Snapshot before;
    try {
      before = snapshot();
    } catch (Exception e) {
      record(name, hostileClass, expect.words(), "none", 0, List.of("not sent: " + e));
      throw new AssertionError(name + ": the server no longer answered before it was sent", e);
    }
    // Written first so that a case that kills the JVM still shows in the results.
    record(name, hostileClass, expect.words(), "-", 0, List.of("sent; no verdict yet"));
    long start = System.nanoTime();
    HttpResponse<String> r = null;
    try {
      r = call.send();
    } catch (java.net.http.HttpTimeoutException | java.net.SocketTimeoutException e) {
      problems.add("no answer within " + bound.toSeconds() + " s");
    } catch (IOException e) {
      problems.add("no answer: " + e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (r != null) {
      if (seconds > bound.toSeconds()) {
        problems.add(
            String.format(
                Locale.ROOT, "answered after %.1f s, over %d s", seconds, bound.toSeconds()));
      }
      answer(problems, r, expect);
    }
    after(problems, before);
    String status = r == null ? "none" : String.valueOf(r.statusCode());
    record(name, hostileClass, expect.words(), status, seconds, problems);
    if (!problems.isEmpty()) {
      throw new AssertionError(
          name
              + " (expected "
              + expect.words()
              + ", got "
              + status
              + "):\n  "
              + String.join("\n  ", problems));
    }
  }

  private void answer(List<String> problems, HttpResponse<String> r, Expect expect) {
    int s = r.statusCode();
    String body = r.body() == null ? "" : r.body();
    if (s >= 200 && s < 300) {
      if (!expect.mayAccept()) {
        problems.add("accepted with " + s + ": " + abbreviate(body));
      }
      if (body.length() >= MAX_ACCEPTED_BODY) {
        problems.add("the accepted answer holds " + body.length() + " characters");
      }
      if (r.request().method().equals("POST")
          && r.uri().getPath().matches("/api/v1/(checkpoints|architectures)")) {
        readBackAndRemove(problems, r);
      }
      return;
    }
    if (!expect.statuses().contains(s)) {
      problems.add("status " + s + ": " + abbreviate(body));
    }
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (!type.startsWith("application/problem+json")) {
      problems.add("content type " + type + ", not application/problem+json: " + abbreviate(body));
      return;
    }
    JsonNode problem;
    try {
      problem = JSON.readTree(body);
    } catch (RuntimeException notJson) {
      problems.add("the answer is not JSON: " + abbreviate(body));
      return;
    }
    if (problem.path("status").asInt() != s) {
      problems.add("the problem's status is " + problem.path("status") + ", the answer's " + s);
    }
    String detail = problem.path("detail").asString("");
    if (detail.isBlank()) {
      problems.add("the problem has no detail: " + abbreviate(body));
    }
    if (detail.length() > MAX_DETAIL) {
      problems.add("a detail of " + detail.length() + " characters: " + abbreviate(detail));
    }
    if (body.contains("at dev.graft") || body.contains("Exception")) {
      problems.add("a stack trace or exception name in the answer: " + abbreviate(body));
    }
    if (expect.mustNotSay() != null
        && detail.toLowerCase(Locale.ROOT).contains(expect.mustNotSay().toLowerCase(Locale.ROOT))) {
      problems.add("the detail says '" + expect.mustNotSay() + "': " + abbreviate(detail));
    }
  }

  /** An accepted upload must read back (its metadata included), and is then removed. */
  private void readBackAndRemove(List<String> problems, HttpResponse<String> r) {
    String location = r.headers().firstValue("Location").orElse(null);
    if (location == null) {
      problems.add("accepted without a Location: " + abbreviate(r.body()));
      return;
    }
    String path = URI.create(location).getPath();
    try {
      HttpResponse<String> back = exchange(request(path).GET().build(), BOUND);
      if (back.statusCode() != 200) {
        problems.add(
            "reading it back answers " + back.statusCode() + ": " + abbreviate(back.body()));
      }
      HttpResponse<String> gone = exchange(request(path).DELETE().build(), BOUND);
      if (gone.statusCode() != 204) {
        problems.add("deleting it answers " + gone.statusCode() + ": " + abbreviate(gone.body()));
      }
    } catch (IOException | InterruptedException e) {
      problems.add("reading it back: " + e);
    }
  }

  private record Snapshot(long checkpoints, long architectures, Set<String> staged) {}

  private Snapshot snapshot() throws Exception {
    return new Snapshot(total("/api/v1/checkpoints"), total("/api/v1/architectures"), staged());
  }

  private void after(List<String> problems, Snapshot before) {
    try {
      // Clean-up may finish just after the answer: give it a moment before judging.
      Snapshot now = snapshot();
      for (int i = 0; i < 20 && !settled(before, now); i++) {
        Thread.sleep(100);
        now = snapshot();
      }
      if (now.checkpoints() != before.checkpoints()) {
        problems.add((now.checkpoints() - before.checkpoints()) + " new checkpoint rows");
      }
      if (now.architectures() != before.architectures()) {
        problems.add((now.architectures() - before.architectures()) + " new architecture rows");
      }
      Set<String> left = new HashSet<>(now.staged());
      left.removeAll(before.staged());
      if (!left.isEmpty()) {
        problems.add("left in the staging folder: " + left);
      }
      HttpResponse<String> health = exchange(request("/actuator/health").GET().build(), BOUND);
      if (health.statusCode() != 200 || !health.body().contains("\"UP\"")) {
        problems.add("health answers " + health.statusCode() + ": " + abbreviate(health.body()));
      }
    } catch (Exception e) {
      problems.add("the server no longer answers: " + e);
    }
    try {
      List<Path> markers = BadInputApiTests.markers();
      if (!markers.isEmpty()) {
        problems.add("A PAYLOAD RAN: " + markers);
        BadInputApiTests.deleteMarkers();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean settled(Snapshot before, Snapshot now) {
    Set<String> left = new HashSet<>(now.staged());
    left.removeAll(before.staged());
    return left.isEmpty()
        && now.checkpoints() == before.checkpoints()
        && now.architectures() == before.architectures();
  }

  private long total(String list) throws Exception {
    HttpResponse<String> r = exchange(request(list + "?size=1").GET().build(), BOUND);
    if (r.statusCode() != 200) {
      throw new IllegalStateException(list + " answered " + r.statusCode() + ": " + r.body());
    }
    return json(r).get("total").asLong();
  }

  private static Set<String> staged() throws IOException {
    Path tmp = DATA_DIR.resolve("blobs/tmp");
    if (!Files.isDirectory(tmp)) {
      return Set.of();
    }
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(BOUND);
  }

  /**
   * Sends a request and waits for the answer at most {@code limit} (plus a second) on this thread:
   * the server shares the JVM, and an OutOfMemoryError it causes can kill the client's own selector
   * thread, after which the client's timeouts never fire.
   */
  private HttpResponse<String> exchange(HttpRequest request, Duration limit)
      throws IOException, InterruptedException {
    java.util.concurrent.CompletableFuture<HttpResponse<String>> answer =
        http.sendAsync(request, ofString());
    try {
      return answer.get(limit.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      answer.cancel(true);
      throw new java.net.http.HttpTimeoutException("no answer within " + limit.toSeconds() + " s");
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  private static HttpResponse.BodyHandler<String> ofString() {
    return HttpResponse.BodyHandlers.ofString();
  }

  /**
   * Sends bytes the JDK client would not send (malformed requests) and reads the answer's status,
   * headers and body.
   */
  private HttpResponse<String> raw(String request) throws IOException {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout((int) BOUND.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(withToken(request).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return RawResponse.parse(text, uri("/"));
    }
  }

  private static void record(
      String name,
      String hostileClass,
      String expected,
      String status,
      double seconds,
      List<String> problems) {
    String line =
        String.join(
                "\t",
                name,
                hostileClass,
                expected,
                status,
                String.format(Locale.ROOT, "%.2f", seconds),
                problems.isEmpty() ? "OK" : status.equals("-") ? "SENT" : "FAIL",
                problems.stream()
                    .map(HostileInputApiTests::oneLine)
                    .collect(Collectors.joining(" | ")))
            + "\n";
    try {
      Files.writeString(
          RESULTS,
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ").trim();
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "... (" + s.length() + " chars)";
  }

  /** A small valid safetensors file: one F32 element per key. */
  static byte[] safetensors(List<String> keys) {
    StringBuilder h = new StringBuilder("{");
    long offset = 0;
    for (String key : keys) {
      h.append(h.length() > 1 ? "," : "")
          .append('"')
          .append(key)
          .append("\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(offset + 4)
          .append("]}");
      offset += 4;
    }
    h.append('}');
    while ((8 + h.length()) % 8 != 0) {
      h.append(' ');
    }
    byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + header.length + (int) offset)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(header.length)
        .put(header)
        .array();
  }

  private static void deleteMarkersQuietly() {
    try {
      BadInputApiTests.deleteMarkers();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An answer read off a socket, as the JDK client's response type. */
  private record RawResponse(int statusCode, HttpHeaders headers, String body, URI uri)
      implements HttpResponse<String> {

    static RawResponse parse(String text, URI uri) throws IOException {
      int end = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || end < 0) {
        throw new IOException("not an HTTP answer: " + abbreviate(text));
      }
      String[] lines = text.substring(0, end).split("\r\n");
      int status = Integer.parseInt(lines[0].substring(9, 12));
      Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers
            .computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
      String body = text.substring(end + 4);
      if (headers.getOrDefault("Transfer-Encoding", List.of()).contains("chunked")) {
        body = dechunk(body);
      }
      return new RawResponse(status, HttpHeaders.of(headers, (k, v) -> true), body, uri);
    }

    private static String dechunk(String body) {
      StringBuilder out = new StringBuilder();
      int at = 0;
      while (true) {
        int eol = body.indexOf("\r\n", at);
        if (eol < 0) {
          return out.toString();
        }
        int size = Integer.parseInt(body.substring(at, eol).split(";")[0].trim(), 16);
        if (size == 0) {
          return out.toString();
        }
        // Sizes count bytes; the bodies here are ASCII JSON or HTML.
        out.append(body, eol + 2, Math.min(body.length(), eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }

    @Override
    public HttpRequest request() {
      return HttpRequest.newBuilder(uri).build();
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpClient.Version version() {
      return java.net.http.HttpClient.Version.HTTP_1_1;
    }
  }

  @AfterAll
  static void noPayloadEverRan() throws IOException {
    assertThat(BadInputApiTests.markers()).as("payload markers").isEmpty();
  }
}
