package dev.graft.shared.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Requests built to break the HTTP layer rather than a reader: each gets a problem+json 4xx naming
 * what is wrong, nothing is stored, no staging file stays behind, and the server keeps answering.
 */
class RequestHardeningApiTests extends IntegrationTest {

  @AfterEach
  void serverStaysHealthyAndClean() throws Exception {
    assertThat(get("/actuator/health").statusCode()).isEqualTo(200);
    assertThat(stagedFiles()).isEmpty();
  }

  @Test
  void shouldAnswerAnOversizedHeaderWithProblemJson() throws Exception {
    String raw =
        raw(
            "GET /api/v1/checkpoints HTTP/1.1\r\nHost: x\r\nX-Big: "
                + "a".repeat(40_000)
                + "\r\nConnection: close\r\n\r\n");
    assertProblem(raw, 400, 431);
  }

  @Test
  void shouldAnswerAnOversizedUrlWithProblemJson() throws Exception {
    String raw =
        raw(
            "GET /api/v1/checkpoints?q="
                + "a".repeat(40_000)
                + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertProblem(raw, 400, 414);
  }

  @Test
  void shouldAnswerAMalformedChunkedUploadWithProblemJsonAndStoreNothing() throws Exception {
    long before = total("/api/v1/checkpoints");
    String raw =
        raw(
            "POST /api/v1/checkpoints?name=chunky HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "4\r\nPK\u0003\u0004\r\nZZZZ-not-a-chunk-size\r\nmore\r\n0\r\n\r\n");
    assertProblem(raw, 400);
    assertThat(total("/api/v1/checkpoints")).isEqualTo(before);
  }

  @Test
  void shouldRefuseNulInQueryParametersNamingThem() throws Exception {
    for (String path :
        new String[] {
          "/api/v1/checkpoints?q=a%00b",
          "/api/v1/models?q=%00",
          "/api/v1/checkpoints/00000000-0000-0000-0000-000000000000/tensors?prefix=x%00",
        }) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(json(r).get("detail").asString()).contains("NUL");
    }
    long before = total("/api/v1/checkpoints");
    HttpResponse<String> upload = postBytes("/api/v1/checkpoints?name=bad%00name", new byte[] {1});
    assertThat(upload.statusCode()).isEqualTo(400);
    assertThat(json(upload).get("detail").asString()).contains("'name'");
    HttpResponse<String> path =
        postBytes("/api/v1/checkpoints?name=ok&stateDictPath=model%00", new byte[] {1});
    assertThat(path.statusCode()).isEqualTo(400);
    assertThat(json(path).get("detail").asString()).contains("'stateDictPath'");
    assertThat(total("/api/v1/checkpoints")).isEqualTo(before);
  }

  @Test
  void shouldRefuseAnOverlongStateDictPathBeforeStoring() throws Exception {
    long before = total("/api/v1/checkpoints");
    HttpResponse<String> r =
        postFile(
            "/api/v1/checkpoints?name=long-path&stateDictPath=" + "a".repeat(1500),
            resource("fixtures/oracle/" + firstOracleCheckpoint()));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("detail").asString()).contains("stateDictPath");
    assertThat(total("/api/v1/checkpoints")).isEqualTo(before);
  }

  @Test
  void shouldRefuseAnOverlongIdempotencyKeyBeforeAnythingIsStored() throws Exception {
    long before = total("/api/v1/checkpoints");
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=idem-long"))
                .header("Content-Type", "application/octet-stream")
                .header("Idempotency-Key", "k".repeat(300))
                .POST(
                    HttpRequest.BodyPublishers.ofFile(
                        resource("fixtures/oracle/" + firstOracleCheckpoint())))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("detail").asString()).contains("Idempotency-Key");
    assertThat(total("/api/v1/checkpoints")).isEqualTo(before);
  }

  @Test
  void shouldRefuseNulInAnyJsonString() throws Exception {
    long before = total("/api/v1/architectures");
    HttpResponse<String> r =
        postJson(
            "/api/v1/architectures",
            "{\"name\": \"nul\", \"entries\": [{\"key\": \"fc.w\\u0000eight\", \"dtype\": \"float32\","
                + " \"shape\": [2], \"kind\": \"BUFFER\"}]}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("detail").asString()).contains("NUL");
    // An escaped backslash followed by u0000 is ordinary text, not a NUL.
    HttpResponse<String> fine =
        postJson(
            "/api/v1/architectures",
            "{\"name\": \"not-nul\", \"entries\": [{\"key\": \"fc.w\\\\u0000eight\", \"dtype\":"
                + " \"float32\", \"shape\": [2], \"kind\": \"BUFFER\"}]}");
    assertThat(fine.statusCode()).as(fine.body()).isIn(200, 201);
    assertThat(total("/api/v1/architectures")).isEqualTo(before + 1);
    delete("/api/v1/architectures/" + json(fine).get("id").asString());
  }

  @Test
  void shouldRefuseAJsonBodyOverItsLimitWhileItArrives() throws Exception {
    // Declared too large: refused before a byte of it is read.
    HttpResponse<String> declared =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/architectures"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[33 << 20]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(declared.statusCode()).isEqualTo(413);
    // Chunked, so no length is declared: counted as it arrives.
    byte[] chunk = " ".repeat(1 << 20).getBytes(StandardCharsets.US_ASCII);
    HttpResponse<String> streamed =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/architectures"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () ->
                            new InputStream() {
                              long left = 40L << 20;

                              @Override
                              public int read() {
                                return left-- > 0 ? ' ' : -1;
                              }

                              @Override
                              public int read(byte[] b, int off, int len) {
                                if (left <= 0) {
                                  return -1;
                                }
                                int n = (int) Math.min(Math.min(len, chunk.length), left);
                                System.arraycopy(chunk, 0, b, off, n);
                                left -= n;
                                return n;
                              }
                            }))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(streamed.statusCode()).isEqualTo(413);
    assertThat(streamed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
  }

  private void assertProblem(String raw, int... statuses) {
    int status = Integer.parseInt(raw.substring(9, 12));
    assertThat(status).as(raw).isIn(java.util.Arrays.stream(statuses).boxed().toList());
    assertThat(raw.toLowerCase()).contains("content-type: application/problem+json");
    String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
    JsonNode problem = JSON.readTree(body);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("detail").asString()).isNotBlank();
  }

  private String raw(String request) throws IOException {
    try (Socket s = new Socket("localhost", port)) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(withToken(request).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      int n;
      try {
        while ((n = in.read(buf)) > 0) {
          got.write(buf, 0, n);
        }
      } catch (java.net.SocketException reset) {
        // The server may close after answering; what arrived is the answer.
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private long total(String list) throws Exception {
    return json(get(list + "?size=1")).get("total").asLong();
  }

  private static Path stagingDir() {
    return DATA_DIR.resolve("blobs").resolve("tmp");
  }

  static java.util.List<Path> stagedFiles() throws IOException {
    if (!Files.isDirectory(stagingDir())) {
      return java.util.List.of();
    }
    try (Stream<Path> files = Files.list(stagingDir())) {
      return files.filter(f -> f.toString().endsWith(".part")).toList();
    }
  }

  private static String firstOracleCheckpoint() throws IOException {
    return oracleCases().get(0).get("checkpointFile").asString();
  }
}
