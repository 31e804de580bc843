package dev.graft.storage;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * The S3 blob store against a real S3-compatible server: S3Proxy in this JVM here, MinIO in {@link
 * S3MinioTests}, which overrides {@link #clientBuilder()} and {@link #keys(String)}.
 */
class S3BlobStoreTests {

  private static S3ProxyServer server;

  @TempDir Path tmp;

  private String bucket;
  private S3BlobStore store;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @BeforeEach
  void newStore() throws Exception {
    bucket = "graft-" + UUID.randomUUID().toString().substring(0, 8);
    // S3's smallest part size and a small read-ahead, so a dozen MiB exercise every path.
    store =
        new S3BlobStore(
            client(), bucket, "/team-a/", S3BlobStore.MIN_PART_SIZE, 1 << 20, tmp.resolve("tmp"));
    store.createBucketIfMissing();
  }

  /** A client builder for the server under test, with the production settings. */
  protected S3ClientBuilder clientBuilder() {
    return server.clientBuilder();
  }

  private S3Client client() {
    return clientBuilder().build();
  }

  /** Every key in a bucket, as the server's backend holds them. */
  protected List<String> keys(String bucket) {
    return server.keys(bucket);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private long tmpFiles() throws Exception {
    try (Stream<Path> s = Files.list(store.tmpDir())) {
      return s.filter(p -> p.toString().endsWith(".part")).count();
    }
  }

  private String commit(byte[] data) throws Exception {
    try (PendingBlob blob = store.write(new ByteArrayInputStream(data), Long.MAX_VALUE)) {
      blob.commit();
      return blob.sha256();
    }
  }

  @Test
  void shouldUploadABlobLargerThanOnePartInPartsAndReadItBackAtRandomPositions() throws Exception {
    byte[] data = random(12 * 1024 * 1024 + 7);
    String sha;
    try (PendingBlob blob = store.write(new ByteArrayInputStream(data), Long.MAX_VALUE)) {
      sha = blob.sha256();
      assertThat(sha).isEqualTo(sha256(data));
      assertThat(blob.size()).isEqualTo(data.length);
      try (SeekableByteChannel ch = blob.open()) {
        assertThat(ch.size()).isEqualTo(data.length);
      }
      blob.commit();
    }

    assertThat(keys(bucket))
        .containsExactly(
            "team-a/sha256/" + sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha);
    assertThat(store.exists(sha)).isTrue();
    assertThat(store.size(sha)).isEqualTo(data.length);
    assertThat(store.localPath(sha)).isEmpty();
    assertThat(tmpFiles()).isZero();

    Random r = new Random(42);
    try (SeekableByteChannel ch = store.open(sha)) {
      assertThat(ch.size()).isEqualTo(data.length);
      for (int i = 0; i < 40; i++) {
        // Small reads (served from the read-ahead buffer) and reads larger than it (fetched
        // directly).
        int len = i % 4 == 0 ? 1 + r.nextInt(3 << 20) : 1 + r.nextInt(4096);
        long pos = r.nextInt(data.length - len);
        ByteBuffer buf = ByteBuffer.allocate(len);
        ch.position(pos);
        while (buf.hasRemaining()) {
          assertThat(ch.read(buf)).isPositive();
        }
        assertThat(buf.array())
            .as("bytes at %d+%d", pos, len)
            .isEqualTo(Arrays.copyOfRange(data, (int) pos, (int) pos + len));
      }
      ch.position(data.length - 3);
      ByteBuffer tail = ByteBuffer.allocate(10);
      assertThat(ch.read(tail)).isEqualTo(3);
      assertThat(ch.read(tail)).isEqualTo(-1);
    }
    try (InputStream in = store.openRange(sha, 5_000_000, 3_000_000)) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(data, 5_000_000, 8_000_000));
    }
    try (InputStream in = store.openRange(sha, 100, 0)) {
      assertThat(in.readAllBytes()).isEmpty();
    }
  }

  @Test
  void shouldFetchOnlyTheRangesItReadsThroughTheReadAheadBuffer() throws Exception {
    byte[] data = random(12 * 1024 * 1024);
    String sha = commit(data);
    List<String> ranges = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutionInterceptor recorder =
        new ExecutionInterceptor() {
          @Override
          public void beforeTransmission(
              Context.BeforeTransmission context, ExecutionAttributes attributes) {
            context.httpRequest().firstMatchingHeader("Range").ifPresent(ranges::add);
          }
        };
    int readAhead = 1 << 20;
    S3BlobStore watched =
        new S3BlobStore(
            clientBuilder().overrideConfiguration(c -> c.addExecutionInterceptor(recorder)).build(),
            bucket,
            "/team-a/",
            S3BlobStore.MIN_PART_SIZE,
            readAhead,
            tmp.resolve("tmp"));

    try (SeekableByteChannel ch = watched.open(sha)) {
      // A reader's pattern: a header, then small records near it (one GET), then a record far away.
      for (long pos : new long[] {0, 100, 5000, 10_000_000}) {
        ByteBuffer buf = ByteBuffer.allocate(64);
        ch.position(pos).read(buf);
        assertThat(buf.array()).isEqualTo(Arrays.copyOfRange(data, (int) pos, (int) pos + 64));
      }
    }

    assertThat(ranges)
        .containsExactly(
            "bytes=0-" + (readAhead - 1), "bytes=10000000-" + (10_000_000 + readAhead - 1));
  }

  @Test
  void shouldKeepOneObjectWhenTheSameBytesAreCommittedTwice() throws Exception {
    byte[] data = random(300_000);
    String first = commit(data);
    String second = commit(data);

    assertThat(second).isEqualTo(first);
    assertThat(keys(bucket)).hasSize(1);
    assertThat(store.size(first)).isEqualTo(data.length);
    assertThat(tmpFiles()).isZero();
  }

  @Test
  void shouldLeaveNothingBehindForAnUncommittedOrRefusedUpload() throws Exception {
    String sha;
    try (PendingBlob blob = store.write(new ByteArrayInputStream(random(1000)), Long.MAX_VALUE)) {
      sha = blob.sha256();
    }
    assertThatThrownBy(() -> store.write(new ByteArrayInputStream(random(6_000_000)), 5_000_000))
        .isInstanceOf(BlobStore.TooLarge.class);

    assertThat(store.exists(sha)).isFalse();
    assertThat(keys(bucket)).isEmpty();
    assertThat(tmpFiles()).isZero();
  }

  @Test
  void shouldAdoptALocalFileAndRemoveIt() throws Exception {
    byte[] data = random(6 * 1024 * 1024);
    Path file = tmp.resolve("model.safetensors");
    Files.write(file, data);
    try (PendingBlob blob = store.adopt(file)) {
      assertThat(blob.sha256()).isEqualTo(sha256(data));
      blob.commit();
    }
    assertThat(file).doesNotExist();
    assertThat(tmpFiles()).isZero();
    try (InputStream in = store.openRange(sha256(data), 0, data.length)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void shouldDeleteAnObjectAndReportItMissingAfterwards() throws Exception {
    String sha = commit(random(2000));
    assertThat(store.exists(sha)).isTrue();

    store.delete(sha);
    store.delete(sha); // absent: a no-op

    assertThat(store.exists(sha)).isFalse();
    assertThat(keys(bucket)).isEmpty();
    assertThatThrownBy(() -> store.size(sha))
        .isInstanceOf(BlobStore.BlobMissing.class)
        .hasMessageContaining(sha);
    assertThatThrownBy(() -> store.open(sha)).isInstanceOf(BlobStore.BlobMissing.class);
    assertThatThrownBy(() -> store.openRange(sha, 0, 10)).isInstanceOf(BlobStore.BlobMissing.class);
    assertThatThrownBy(() -> store.openRange(sha, 0, 0)).isInstanceOf(BlobStore.BlobMissing.class);
  }

  @Test
  void shouldCreateTheBucketOnceAndRefuseAPartSizeS3WouldReject() throws Exception {
    store.createBucketIfMissing(); // already there: nothing to do
    assertThatThrownBy(() -> new S3BlobStore(client(), bucket, "", 1 << 20, 1 << 20, tmp))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5MB");
  }
}
