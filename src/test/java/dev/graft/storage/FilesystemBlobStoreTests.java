package dev.graft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.TestSupport;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemBlobStoreTests {

  @TempDir Path root;

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private long tmpFiles(FilesystemBlobStore store) throws IOException {
    try (Stream<Path> s = Files.list(store.tmpDir())) {
      return s.filter(p -> p.toString().endsWith(".part")).count();
    }
  }

  @Test
  void shouldHashAndStoreAStreamLargerThanTheBufferRing() throws Exception {
    FilesystemBlobStore store = new FilesystemBlobStore(root);
    byte[] data = random(21 * 1024 * 1024 + 13);
    String expected = TestSupport.sha256(data);

    try (PendingBlob blob = store.write(new ByteArrayInputStream(data), Long.MAX_VALUE)) {
      assertThat(blob.sha256()).isEqualTo(expected);
      assertThat(blob.size()).isEqualTo(data.length);
      try (SeekableByteChannel ch = blob.open()) {
        assertThat(ch.size()).isEqualTo(data.length);
      }
      blob.commit();
    }

    assertThat(store.exists(expected)).isTrue();
    assertThat(store.size(expected)).isEqualTo(data.length);
    assertThat(tmpFiles(store)).isZero();
    try (InputStream in = store.openRange(expected, 1000, 10)) {
      assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 1010));
    }
  }

  @Test
  void shouldDropThePendingCopyWhenNotCommitted() throws Exception {
    FilesystemBlobStore store = new FilesystemBlobStore(root);
    String sha;
    try (PendingBlob blob = store.write(new ByteArrayInputStream(random(1000)), Long.MAX_VALUE)) {
      sha = blob.sha256();
    }
    assertThat(store.exists(sha)).isFalse();
    assertThat(tmpFiles(store)).isZero();
  }

  @Test
  void shouldRefuseAnUploadOverTheLimitLeavingNothing() throws Exception {
    FilesystemBlobStore store = new FilesystemBlobStore(root);
    assertThatThrownBy(
            () -> store.write(new ByteArrayInputStream(random(9 * 1024 * 1024)), 5_000_000))
        .isInstanceOf(BlobStore.TooLarge.class)
        .hasMessageContaining("5000000");
    assertThat(tmpFiles(store)).isZero();
  }

  @Test
  void shouldLeaveNothingWhenTheStreamBreaksMidway() throws Exception {
    FilesystemBlobStore store = new FilesystemBlobStore(root);
    InputStream broken =
        new InputStream() {
          int served;

          @Override
          public int read() throws IOException {
            throw new IOException("connection reset");
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (served > 10_000_000) {
              throw new IOException("connection reset");
            }
            served += len;
            return len;
          }
        };
    assertThatThrownBy(() -> store.write(broken, Long.MAX_VALUE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("connection reset");
    assertThat(tmpFiles(store)).isZero();
  }

  @Test
  void shouldKeepOneCopyWhenTheSameBytesAreCommittedTwice() throws Exception {
    FilesystemBlobStore store = new FilesystemBlobStore(root);
    byte[] data = random(5000);
    PendingBlob a = store.write(new ByteArrayInputStream(data), Long.MAX_VALUE);
    PendingBlob b = store.write(new ByteArrayInputStream(data), Long.MAX_VALUE);
    a.commit();
    b.commit();
    a.close();
    b.close();
    assertThat(tmpFiles(store)).isZero();
    try (SeekableByteChannel ch = store.open(a.sha256())) {
      ByteBuffer buf = ByteBuffer.allocate(data.length);
      while (buf.hasRemaining() && ch.read(buf) > 0) {}
      assertThat(buf.array()).isEqualTo(data);
    }
  }

  @Test
  void shouldRemoveStagedFilesAbandonedByADeadProcessAtStart() throws Exception {
    Path tmp = root.resolve("tmp");
    Files.createDirectories(tmp);
    Path old = Files.write(tmp.resolve("dead.part"), new byte[10]);
    Files.setLastModifiedTime(
        old,
        java.nio.file.attribute.FileTime.from(
            java.time.Instant.now().minus(java.time.Duration.ofDays(2))));
    Path recent = Files.write(tmp.resolve("live.part"), new byte[10]);

    new FilesystemBlobStore(root);

    assertThat(old).doesNotExist();
    assertThat(recent).as("may still be written by another process").exists();
  }
}
