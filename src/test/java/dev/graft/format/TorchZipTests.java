package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class TorchZipTests {

  private static final ReadLimits LIMITS = ReadLimits.defaults();

  private static ZipBuilder torchLike() {
    return new ZipBuilder()
        .add("archive/data.pkl", new byte[] {(byte) 0x80, 2, 'N', '.'})
        .add("archive/data/0", new byte[16])
        .add("archive/version", "3\n");
  }

  private static TorchZip open(byte[] bytes) throws IOException {
    return TorchZip.open(Bytes.channel(bytes), LIMITS);
  }

  private static void assertRefused(byte[] bytes, FormatException.Kind kind, String... parts) {
    assertThatThrownBy(() -> open(bytes))
        .isInstanceOf(FormatException.class)
        .satisfies(e -> assertThat(((FormatException) e).kind()).isEqualTo(kind))
        .message()
        .contains(parts);
  }

  @Test
  void shouldListRecordsWithAlignedDataOffsets() throws IOException {
    byte[] bytes = torchLike().build();
    TorchZip zip = open(bytes);

    assertThat(zip.root()).isEqualTo("archive");
    assertThat(zip.entries())
        .extracting(TorchZipEntry::name)
        .containsExactly("archive/data.pkl", "archive/data/0", "archive/version");
    TorchZipEntry data = zip.find("data/0").orElseThrow();
    assertThat(data.dataOffset() % 64).isZero();
    assertThat(data.size()).isEqualTo(16);
    assertThat(zip.readStored(Bytes.channel(bytes), zip.find("version").orElseThrow(), 10))
        .containsExactly('3', '\n');
  }

  @Test
  void shouldReadZip64EndRecords() throws IOException {
    TorchZip zip = open(torchLike().zip64().build());

    assertThat(zip.entries()).hasSize(3);
    assertThat(zip.find("data/0").orElseThrow().size()).isEqualTo(16);
  }

  @Test
  void shouldRefuseMoreEntriesThanTheLimit() {
    ReadLimits two = new ReadLimits(2, 1 << 20, 1000, 100, 100, 10, 100, 10, 4, 100, 100, 100);
    assertThatThrownBy(() -> TorchZip.open(Bytes.channel(torchLike().build()), two))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("declares 3 entries, more than the limit of 2");
  }

  @Test
  void shouldRefuseDuplicateEntryNames() {
    byte[] bytes = torchLike().add("archive/data/0", new byte[16]).build();
    assertRefused(
        bytes, FormatException.Kind.UNSAFE, "'archive/data/0' appears twice", "byte offset");
  }

  @Test
  void shouldRefuseLocalNameThatDiffersFromCentralName() {
    ZipBuilder b = torchLike();
    b.last().localName = "archive/versioX";
    assertRefused(
        b.build(), FormatException.Kind.UNSAFE, "'archive/version' is named 'archive/versioX'");
  }

  @Test
  void shouldRefuseParentSegments() {
    assertRefused(
        torchLike().add("archive/../x", "x").build(),
        FormatException.Kind.UNSAFE,
        "'archive/../x'",
        "'..' path segment");
  }

  @Test
  void shouldRefuseAbsoluteNames() {
    assertRefused(
        torchLike().add("/abs", "x").build(), FormatException.Kind.UNSAFE, "'/abs' is absolute");
  }

  @Test
  void shouldRefuseBackslashesAndNul() {
    assertRefused(
        torchLike().add("archive\\x", "x").build(), FormatException.Kind.UNSAFE, "backslash");
    assertRefused(torchLike().add("archive/x\0y", "x").build(), FormatException.Kind.UNSAFE, "NUL");
  }

  @Test
  void shouldRefuseEntriesOutsideTheRootFolder() {
    assertRefused(
        torchLike().add("other/data/1", "x").build(),
        FormatException.Kind.UNSAFE,
        "'other/data/1' is outside the archive's root folder 'archive'");
    assertRefused(
        torchLike().add("toplevel", "x").build(),
        FormatException.Kind.UNSAFE,
        "'toplevel' is not inside a root folder");
  }

  @Test
  void shouldRefuseEncryptedEntries() {
    ZipBuilder b = torchLike();
    b.last().flags |= 1;
    assertRefused(b.build(), FormatException.Kind.UNSAFE, "'archive/version' is encrypted");
  }

  @Test
  void shouldRefuseReadingCompressedRecords() throws IOException {
    ZipBuilder b = torchLike();
    b.last().method = 8;
    byte[] bytes = b.build();
    TorchZip zip = open(bytes);
    assertThatThrownBy(
            () -> zip.readStored(Bytes.channel(bytes), zip.find("version").orElseThrow(), 100))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("'archive/version' is compressed (method 8");
  }

  @Test
  void shouldRefuseAZipAppendedToAnotherFile() {
    byte[] bytes = torchLike().prefix(new byte[] {(byte) 0x80, 2, 'N', '.'}).build();
    assertRefused(
        bytes, FormatException.Kind.UNSAFE, "4 bytes of other data before its first entry");
  }

  @Test
  void shouldRefuseDataRunningIntoTheCentralDirectory() {
    ZipBuilder b = torchLike();
    b.last().declaredSize = 1000;
    assertRefused(
        b.build(),
        FormatException.Kind.MALFORMED,
        "'archive/version' data",
        "runs into the central directory");
  }

  @Test
  void shouldRefuseAFileWithoutEndRecord() {
    assertRefused(new byte[100], FormatException.Kind.MALFORMED, "no zip end of central directory");
  }
}
