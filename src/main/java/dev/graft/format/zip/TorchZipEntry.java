package dev.graft.format.zip;

/**
 * One record of a torch zip archive as its central directory and local header describe it.
 *
 * @param name the full record name, e.g. {@code archive/data/0}
 * @param method the compression method; 0 means stored
 * @param flags the general-purpose bit flags
 * @param compressedSize bytes the record occupies in the file
 * @param size bytes of the record once decompressed
 * @param localHeaderOffset absolute offset of the record's local file header
 * @param dataOffset absolute offset of the record's first data byte
 * @param crc the CRC-32 of the record's content as the central directory (and data descriptor)
 *     declare it; {@link TorchZip#verifyRecords} checks it against the content, and a record can be
 *     copied with it as it is
 */
public record TorchZipEntry(
    String name,
    int method,
    int flags,
    long compressedSize,
    long size,
    long localHeaderOffset,
    long dataOffset,
    int crc) {

  /** A record whose CRC-32 is not known, as tests build them. */
  public TorchZipEntry(
      String name,
      int method,
      int flags,
      long compressedSize,
      long size,
      long localHeaderOffset,
      long dataOffset) {
    this(name, method, flags, compressedSize, size, localHeaderOffset, dataOffset, 0);
  }

  /** Whether the record is stored uncompressed, so its bytes in the file are its content. */
  public boolean stored() {
    return method == 0;
  }

  /** Whether the record is marked encrypted (flag bit 0). */
  public boolean encrypted() {
    return (flags & 1) != 0;
  }

  /** Absolute offset one past the record's last data byte. */
  public long dataEnd() {
    return Math.addExact(dataOffset, compressedSize);
  }
}
