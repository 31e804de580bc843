package dev.graft.format.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.format.Bytes;
import dev.graft.format.FormatException;
import dev.graft.format.Hostile;
import dev.graft.format.ReadLimits;
import dev.graft.format.ZipBuilder;
import dev.graft.format.internal.ParseBudget;
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

  // ---- zip rules as strict as the strictest reader (issue 8) ----

  @Test
  void shouldRefuseNamesThatCollideIgnoringCase() {
    // torch 1.13 finds 'data.pkl' case-insensitively: it could read the other copy.
    byte[] bytes =
        torchLike().add("archive/DATA.pkl", new byte[] {(byte) 0x80, 2, 'N', '.'}).build();
    Hostile.refused(() -> open(bytes), FormatException.Kind.UNSAFE)
        .hasMessageContaining("'archive/data.pkl' and 'archive/DATA.pkl' differ only in case");
  }

  @Test
  void shouldRefuseALocalHeaderHiddenInAGapBetweenRecords() {
    ZipBuilder hidden =
        new ZipBuilder().add("archive/data.pkl", new byte[] {(byte) 0x80, 2, 'N', '.'});
    byte[] smuggled = hidden.build();
    ZipBuilder b = torchLike();
    b.last().after = java.util.Arrays.copyOf(smuggled, 100); // a local header and its data
    ZipBuilder c = torchLike();
    c.entries().get(0).after = new byte[] {0};
    Hostile.refused(() -> open(b.build()), FormatException.Kind.UNSAFE)
        .hasMessageContaining("100 bytes at byte offset")
        .hasMessageContaining("between entry 'archive/version' and the central directory")
        .hasMessageContaining("belong to no record");
    Hostile.refused(() -> open(c.build()), FormatException.Kind.UNSAFE)
        .hasMessageContaining("1 bytes at byte offset")
        .hasMessageContaining("between entry 'archive/data.pkl' and entry 'archive/data/0'");
  }

  @Test
  void shouldRefuseADataDescriptorThatDisagreesWithTheCentralDirectory() {
    ZipBuilder b = torchLike();
    b.last().declaredCompressedSize = 1;
    b.last().declaredSize = 1; // the central directory says 1 byte, the descriptor 2
    Hostile.refused(() -> open(b.build()), FormatException.Kind.UNSAFE)
        .hasMessageContaining("'archive/version' is not followed by a data descriptor matching");
  }

  @Test
  void shouldReportAStoredRecordWhoseTwoSizesDifferAsASizeLie() {
    ZipBuilder b = torchLike();
    b.last().declaredCompressedSize = 1;
    Hostile.refused(() -> open(b.zip64().build()), FormatException.Kind.MALFORMED)
        .hasMessageContaining(
            "'archive/version' is stored but declares 1 bytes in the file and 2 bytes of content")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("compressed (method 0"));
  }

  @Test
  void shouldRefuseBytesBetweenTheCentralDirectoryAndTheEndRecords() {
    byte[] ok = torchLike().build();
    // Move the end record 3 bytes later; its offsets still point at the directory.
    byte[] bytes = new byte[ok.length + 3];
    System.arraycopy(ok, 0, bytes, 0, ok.length - 22);
    System.arraycopy(ok, ok.length - 22, bytes, ok.length - 19, 22);
    Hostile.refused(() -> open(bytes), FormatException.Kind.UNSAFE)
        .hasMessageContaining("3 bytes between its central directory and its end records");
  }

  @Test
  void shouldCheckEveryRecordsCrcIncludingDeflatedOnesOnTheirInflatedBytes() throws IOException {
    byte[] good = torchLike().build();
    open(good)
        .verifyRecords(
            Bytes.channel(good),
            RangeCrc.reading(Bytes.channel(good)),
            LIMITS,
            ParseBudget.start(LIMITS));

    ZipBuilder b = torchLike();
    b.entries().get(1).crc = 0x1234;
    byte[] bad = b.build();
    TorchZip zip = open(bad);
    Hostile.refused(
            () -> {
              zip.verifyRecords(
                  Bytes.channel(bad),
                  RangeCrc.reading(Bytes.channel(bad)),
                  LIMITS,
                  ParseBudget.start(LIMITS));
              return null;
            },
            FormatException.Kind.MALFORMED)
        .hasMessageContaining("'archive/data/0' has CRC-32")
        .hasMessageContaining("but its headers declare 00001234");
  }
}
