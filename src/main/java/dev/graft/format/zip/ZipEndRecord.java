package dev.graft.format.zip;

import dev.graft.format.FormatException;
import dev.graft.format.internal.ChannelReads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/**
 * Where a zip's central directory lies, read from the End Of Central Directory record and, for
 * archives over 4 GB or 65,535 entries (torch writes those), from the ZIP64 locator and record.
 *
 * @param entries the number of central directory entries
 * @param directoryOffset absolute offset of the central directory
 * @param directorySize bytes of the central directory
 * @param trailerOffset the first byte after the central directory that belongs to the end records
 */
record ZipEndRecord(long entries, long directoryOffset, long directorySize, long trailerOffset) {

  private static final int EOCD_SIG = 0x06054b50;
  private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  private static final int ZIP64_EOCD_SIG = 0x06064b50;
  private static final int EOCD_LEN = 22;
  private static final int LOCATOR_LEN = 20;
  private static final int ZIP64_EOCD_LEN = 56;
  private static final int MAX_COMMENT = 0xffff;

  /**
   * Finds and reads the end records.
   *
   * @throws FormatException when there is none, it spans disks, or it points outside the file
   * @throws IOException when the channel cannot be read
   */
  static ZipEndRecord read(SeekableByteChannel ch) throws IOException {
    long fileSize = ch.size();
    if (fileSize < EOCD_LEN) {
      throw FormatException.malformed("zip is too short to hold an end of central directory");
    }
    int tailLen = (int) Math.min(fileSize, EOCD_LEN + MAX_COMMENT);
    long tailStart = fileSize - tailLen;
    ByteBuffer tail = ChannelReads.readAt(ch, tailStart, tailLen, "zip end records");
    int eocd = -1;
    // The comment is free text, so accept a signature only where its comment length ends the file.
    for (int i = tailLen - EOCD_LEN; i >= 0; i--) {
      if (tail.getInt(i) == EOCD_SIG
          && i + EOCD_LEN + (tail.getShort(i + 20) & 0xffff) == tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw FormatException.malformed("no zip end of central directory record found");
    }
    long eocdPos = tailStart + eocd;
    int disk = tail.getShort(eocd + 4) & 0xffff;
    int cdDisk = tail.getShort(eocd + 6) & 0xffff;
    long diskEntries = tail.getShort(eocd + 8) & 0xffff;
    long entries = tail.getShort(eocd + 10) & 0xffff;
    long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
    long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
    long trailer = eocdPos;
    boolean zip64 =
        entries == 0xffff
            || diskEntries == 0xffff
            || cdSize == 0xffffffffL
            || cdOffset == 0xffffffffL;
    // Torch writes ZIP64 end records even for small files, so a locator alone switches to them.
    ByteBuffer loc =
        eocdPos >= LOCATOR_LEN
            ? ChannelReads.readAt(ch, eocdPos - LOCATOR_LEN, LOCATOR_LEN, "zip64 locator")
            : null;
    boolean hasLocator = loc != null && loc.getInt(0) == ZIP64_LOCATOR_SIG;
    if (zip64 && !hasLocator) {
      throw FormatException.malformed(
          "zip end record needs ZIP64 values but the ZIP64 locator is missing (at byte offset "
              + eocdPos
              + ")");
    }
    if (hasLocator) {
      long recordPos = loc.getLong(8);
      if (loc.getInt(4) != 0 || loc.getInt(16) > 1) {
        throw FormatException.unsupported("multi-disk zip archives are not supported");
      }
      if (recordPos < 0 || recordPos > eocdPos - LOCATOR_LEN - ZIP64_EOCD_LEN) {
        throw FormatException.malformed(
            "zip64 end of central directory record offset " + recordPos + " is outside the file");
      }
      ByteBuffer rec = ChannelReads.readAt(ch, recordPos, ZIP64_EOCD_LEN, "zip64 end record");
      if (rec.getInt(0) != ZIP64_EOCD_SIG) {
        throw FormatException.malformed(
            "no zip64 end of central directory record at byte offset " + recordPos);
      }
      // Torch writes the 56-byte record right before the locator, with no extensible data.
      if (rec.getLong(4) != ZIP64_EOCD_LEN - 12
          || recordPos + ZIP64_EOCD_LEN != eocdPos - LOCATOR_LEN) {
        throw FormatException.unsafe(
            "zip64 end of central directory record at byte offset "
                + recordPos
                + " does not end where its locator starts; the bytes between belong to no"
                + " record");
      }
      disk = rec.getInt(16);
      cdDisk = rec.getInt(20);
      diskEntries = rec.getLong(24);
      entries = rec.getLong(32);
      cdSize = rec.getLong(40);
      cdOffset = rec.getLong(48);
      trailer = recordPos;
    }
    if (disk != 0 || cdDisk != 0 || diskEntries != entries) {
      throw FormatException.unsupported("multi-disk zip archives are not supported");
    }
    if (entries < 0 || cdSize < 0 || cdOffset < 0) {
      throw FormatException.malformed("zip end record holds a negative count or offset");
    }
    if (cdOffset > trailer || cdSize > trailer - cdOffset) {
      throw FormatException.malformed(
          "zip central directory (offset "
              + cdOffset
              + ", "
              + cdSize
              + " bytes) runs past the end records at byte offset "
              + trailer);
    }
    if (cdOffset + cdSize != trailer) {
      throw FormatException.unsafe(
          "zip has "
              + (trailer - cdOffset - cdSize)
              + " bytes between its central directory and its end records (at byte offset "
              + (cdOffset + cdSize)
              + ") that belong to no record");
    }
    return new ZipEndRecord(entries, cdOffset, cdSize, trailer);
  }
}
