package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.safetensors.SafetensorsWriter;
import dev.graft.format.torch.TorchStateDictWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors handed over as regions of a file (copied file to file by the kernel) make exactly the
 * bytes that the same tensors handed over as buffers make, in both state-dict formats, and are
 * checked as strictly.
 */
class RegionTransferTests {

  @TempDir Path dir;

  private static final List<OutputTensor> LAYOUT =
      List.of(
          new OutputTensor("a.weight", DType.FLOAT32, List.of(300L, 7L)),
          new OutputTensor("a.bias", DType.FLOAT16, List.of(7L)),
          new OutputTensor("b.scale", DType.BFLOAT16, List.of()),
          new OutputTensor("b.table", DType.INT64, List.of(1000L, 3L)),
          // Over 256 KiB: these go file to file; the small ones above are read and written.
          new OutputTensor("c.big", DType.FLOAT32, List.of(300L, 301L)),
          new OutputTensor("c.bigger", DType.FLOAT16, List.of(1L << 20)));

  /** A region sink over a plain file, counting what came as regions. */
  private static final class FileSink implements RegionSink {
    final FileChannel out;
    long transferred;

    FileSink(FileChannel out) {
      this.out = out;
    }

    @Override
    public void transferFrom(FileChannel source, long position, long count) throws IOException {
      long done = 0;
      while (done < count) {
        done += source.transferTo(position + done, count - done, out);
      }
      transferred += count;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return out.write(src);
    }

    @Override
    public boolean isOpen() {
      return out.isOpen();
    }

    @Override
    public void close() {}
  }

  private interface Opener {
    StateDictWriter open(WritableByteChannel out) throws IOException;
  }

  @Test
  void shouldWriteTheSameTorchFileFromRegionsAsFromBuffers() throws Exception {
    check(out -> TorchStateDictWriter.open(out, LAYOUT));
  }

  @Test
  void shouldWriteTheSameSafetensorsFileFromRegionsAsFromBuffers() throws Exception {
    check(out -> SafetensorsWriter.open(out, LAYOUT, Map.of("format", "pt")));
  }

  private void check(Opener opener) throws Exception {
    // The tensors' bytes at odd offsets of a source file, with junk between them.
    Random random = new Random(5);
    Path source = dir.resolve("source.bin");
    List<long[]> regions = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    try (FileChannel src =
        FileChannel.open(source, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (OutputTensor t : LAYOUT) {
        byte[] junk = new byte[1 + random.nextInt(97)];
        random.nextBytes(junk);
        src.write(ByteBuffer.wrap(junk));
        byte[] value = new byte[(int) t.sizeBytes()];
        random.nextBytes(value);
        regions.add(new long[] {src.position(), value.length});
        values.add(value);
        src.write(ByteBuffer.wrap(value));
      }
    }

    Path fromBuffers = dir.resolve("buffers.out");
    try (FileChannel out =
        FileChannel.open(fromBuffers, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      StateDictWriter w = opener.open(out);
      for (int i = 0; i < LAYOUT.size(); i++) {
        w.write(LAYOUT.get(i).key(), ByteBuffer.wrap(values.get(i)));
      }
      w.finish();
    }

    Path fromRegions = dir.resolve("regions.out");
    long transferred;
    try (FileChannel out =
            FileChannel.open(fromRegions, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileChannel src = FileChannel.open(source)) {
      FileSink sink = new FileSink(out);
      StateDictWriter w = opener.open(sink);
      for (int i = 0; i < LAYOUT.size(); i++) {
        w.transfer(LAYOUT.get(i).key(), src, regions.get(i)[0], regions.get(i)[1]);
      }
      w.finish();
      assertThat(w.bytesWritten()).isEqualTo(Files.size(fromBuffers));
      transferred = sink.transferred;
    }

    assertThat(transferred)
        .isEqualTo(
            LAYOUT.stream().mapToLong(OutputTensor::sizeBytes).filter(n -> n > (256 << 10)).sum())
        .isPositive();
    assertThat(Files.readAllBytes(fromRegions)).isEqualTo(Files.readAllBytes(fromBuffers));
  }

  @Test
  void shouldRefuseARegionOfTheWrongSizeOrOutOfOrderBeforeWritingAnything() throws Exception {
    Path source = Files.write(dir.resolve("s.bin"), new byte[64 << 10]);
    try (FileChannel out =
            FileChannel.open(
                dir.resolve("o.bin"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileChannel src = FileChannel.open(source)) {
      FileSink sink = new FileSink(out);
      StateDictWriter w = TorchStateDictWriter.open(sink, LAYOUT);
      long before = w.bytesWritten();
      assertThatThrownBy(() -> w.transfer("a.weight", src, 0, 300 * 7 * 4 - 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("a.weight")
          .hasMessageContaining("8400");
      assertThat(w.bytesWritten()).isEqualTo(before);
      assertThat(sink.transferred).isZero();
      // The writer has failed for good, as for a wrong buffer.
      assertThatThrownBy(() -> w.transfer("a.weight", src, 0, 300 * 7 * 4))
          .isInstanceOf(IllegalStateException.class);
    }
    try (FileChannel out =
            FileChannel.open(
                dir.resolve("o2.bin"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileChannel src = FileChannel.open(source)) {
      StateDictWriter w = SafetensorsWriter.open(new FileSink(out), LAYOUT, Map.of());
      assertThatThrownBy(() -> w.transfer("a.bias", src, 0, 14))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("expected tensor");
    }
  }
}
