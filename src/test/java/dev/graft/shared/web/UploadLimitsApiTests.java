package dev.graft.shared.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.HttpTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Uploads that try to hold the server's upload slots: a client trickling bytes is cut once it
 * delivers too little within the stall window, and uploads beyond the per-process bound are refused
 * with 429 and {@code Retry-After}; nothing of either is left behind.
 */
class UploadLimitsApiTests extends HttpTest {

  private static final Path DATA_DIR;

  static {
    try {
      DATA_DIR = Files.createTempDirectory("graft-upload-limits-");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void limits(DynamicPropertyRegistry registry) {
    registry.add("graft.data-dir", DATA_DIR::toString);
    registry.add("graft.upload.stall-timeout", () -> "2s");
    registry.add("graft.upload.stall-min-bytes", () -> "64KB");
    registry.add("graft.upload.max-concurrent", () -> "2");
  }

  @Test
  void shouldCutAnUploadThatTricklesAndRemoveItsStagedBytes() throws Exception {
    long started = System.nanoTime();
    try (Socket s = new Socket("localhost", port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(
          withToken(
                  "POST /api/v1/checkpoints?name=trickle HTTP/1.1\r\nHost: x\r\n"
                      + "Content-Type: application/octet-stream\r\nContent-Length: 100000000\r\n\r\nPK")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String answer = null;
      for (int i = 0; i < 40 && answer == null; i++) {
        try {
          out.write('x');
          out.flush();
        } catch (IOException closed) {
          break;
        }
        Thread.sleep(200);
        if (s.getInputStream().available() > 0) {
          answer = new String(s.getInputStream().readNBytes(s.getInputStream().available()));
        }
      }
      if (answer == null) {
        answer = readAll(s.getInputStream());
      }
      assertThat(answer).startsWith("HTTP/1.1 408");
      assertThat(answer).contains("application/problem+json").contains("stall-timeout");
    }
    assertThat((System.nanoTime() - started) / 1e9).isLessThan(15);
    assertThat(staged()).isEmpty();
    assertThat(json(get("/api/v1/checkpoints")).get("total").asLong()).isZero();
  }

  @Test
  void shouldRefuseUploadsBeyondTheBoundWith429AndRetryAfter() throws Exception {
    List<Socket> holders = new ArrayList<>();
    List<CompletableFuture<Void>> feeders = new ArrayList<>();
    try {
      // Two uploads that keep sending (fast enough not to stall) hold both slots.
      for (int i = 0; i < 2; i++) {
        Socket s = new Socket("localhost", port);
        holders.add(s);
        OutputStream out = s.getOutputStream();
        out.write(
            withToken(
                    "POST /api/v1/checkpoints?name=holder"
                        + i
                        + " HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: 1000000000\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        feeders.add(
            CompletableFuture.runAsync(
                () -> {
                  byte[] chunk = new byte[64 << 10];
                  try {
                    for (int k = 0; k < 100; k++) {
                      out.write(chunk);
                      out.flush();
                      Thread.sleep(50);
                    }
                  } catch (IOException | InterruptedException stopped) {
                    // closed by the test
                  }
                }));
      }
      Thread.sleep(1000);
      HttpResponse<String> third =
          http.send(
              HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=third"))
                  .header("Content-Type", "application/octet-stream")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'P', 'K', 3, 4}))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(third.headers().firstValue("Retry-After")).isPresent();
      assertThat(third.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    } finally {
      for (Socket s : holders) {
        s.close();
      }
      for (CompletableFuture<Void> f : feeders) {
        f.join();
      }
    }
    // Slots come back once the holders are gone.
    long deadline = System.nanoTime() + 20_000_000_000L;
    HttpResponse<String> after;
    do {
      Thread.sleep(200);
      after = postBytes("/api/v1/checkpoints?name=after", new byte[] {'P', 'K', 3, 4});
    } while (after.statusCode() == 429 && System.nanoTime() < deadline);
    assertThat(after.statusCode()).isEqualTo(422);
    long cleanDeadline = System.nanoTime() + 20_000_000_000L;
    while (!staged().isEmpty() && System.nanoTime() < cleanDeadline) {
      Thread.sleep(200);
    }
    assertThat(staged()).isEmpty();
  }

  private static String readAll(InputStream in) throws IOException {
    try {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (java.net.SocketException reset) {
      return "";
    }
  }

  private static List<Path> staged() throws IOException {
    Path tmp = DATA_DIR.resolve("blobs").resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(tmp)) {
      return files.filter(f -> f.toString().endsWith(".part")).toList();
    }
  }
}
