package dev.graft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFileTests {

  @TempDir Path dir;

  @Test
  void theHashIsOfTheFileEvenWhenTheCallerReusesItsBufferAtOnce() throws Exception {
    // One buffer, refilled with new bytes right after each write: a hasher that read the caller's
    // buffers later, instead of the file, would hash the wrong bytes.
    Random random = new Random(17);
    byte[] reused = new byte[(3 << 20) + 5];
    Path file = dir.resolve("out.bin");
    OutputFile.Written written;
    long total = 0;
    try (OutputFile out = OutputFile.create(file)) {
      // Past the background flush's threshold, in writes of odd sizes, some of them empty.
      while (total < (150L << 20)) {
        random.nextBytes(reused);
        int n = random.nextInt(reused.length + 1);
        ByteBuffer b = ByteBuffer.wrap(reused, 0, n);
        while (b.hasRemaining()) {
          out.write(b);
        }
        Arrays.fill(reused, (byte) 0x5a);
        total += n;
      }
      written = out.finish();
    }
    assertThat(written.size()).isEqualTo(total).isEqualTo(Files.size(file));
    assertThat(written.sha256()).isEqualTo(sha256(file));
    assertThat(written.file()).isEqualTo(file);
  }

  @Test
  void anEmptyFileHashesAsEmpty() throws Exception {
    Path file = dir.resolve("empty.bin");
    try (OutputFile out = OutputFile.create(file)) {
      assertThat(out.finish().sha256())
          .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
  }

  @Test
  void closingWithoutFinishingStopsTheHasherAndLeavesNoWayToFinishLater() throws Exception {
    Path file = dir.resolve("abandoned.bin");
    OutputFile out = OutputFile.create(file);
    out.write(ByteBuffer.wrap(new byte[1 << 20]));
    out.close();
    assertThat(out.isOpen()).isFalse();
    assertThatThrownBy(() -> out.write(ByteBuffer.wrap(new byte[1])))
        .isInstanceOf(IllegalStateException.class);
    assertThat(Files.size(file)).isEqualTo(1 << 20);
  }

  @Test
  void aWriteAfterFinishIsRefused() throws Exception {
    try (OutputFile out = OutputFile.create(dir.resolve("done.bin"))) {
      out.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      out.finish();
      assertThatThrownBy(() -> out.write(ByteBuffer.wrap(new byte[] {4})))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already finished");
    }
  }

  @Test
  void anExistingFileIsNeverOverwritten() throws Exception {
    Path file = Files.writeString(dir.resolve("there.bin"), "kept");
    assertThatThrownBy(() -> OutputFile.create(file))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(file)).isEqualTo("kept");
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
