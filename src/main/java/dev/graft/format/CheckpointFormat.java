package dev.graft.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The on-disk formats Graft reads as checkpoints, and how each is recognised from its first bytes.
 */
public enum CheckpointFormat {
  /** A {@code torch.save} zip archive (torch 1.6 and later). */
  PYTORCH("pytorch"),
  /** A safetensors file. */
  SAFETENSORS("safetensors");

  /** How many of a file's first bytes {@link #detect} needs. */
  public static final int SIGNATURE_BYTES = 16;

  private static final String LEGACY_MESSAGE =
      "this is a legacy torch.save file (pre-1.6 format); re-save it with torch.save(...,"
          + " _use_new_zipfile_serialization=True) or send safetensors";

  // The legacy format opens with the pickled magic number 0x1950a86a20f9469cfc6c: PROTO 2, LONG1
  // 10.
  private static final byte[] LEGACY_MAGIC = {
    (byte) 0x80,
    0x02,
    (byte) 0x8a,
    0x0a,
    0x6c,
    (byte) 0xfc,
    (byte) 0x9c,
    0x46,
    (byte) 0xf9,
    0x20,
    0x6a,
    (byte) 0xa8,
    0x50,
    0x19
  };

  private final String wireName;

  CheckpointFormat(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the API: {@code pytorch} or {@code safetensors}. */
  public String wireName() {
    return wireName;
  }

  /**
   * Recognises a file's format from its first bytes, refusing with guidance the files that look
   * like checkpoints Graft does not take.
   *
   * @param head the file's first {@link #SIGNATURE_BYTES} bytes, or all of a shorter file
   * @return the format
   * @throws FormatException UNSUPPORTED for a legacy torch file or bare pickle, MALFORMED for
   *     anything else that is neither a torch zip nor safetensors
   */
  public static CheckpointFormat detect(byte[] head) throws FormatException {
    int n = Math.min(head.length, SIGNATURE_BYTES);
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      return PYTORCH;
    }
    // Before the pickle check: a safetensors header of 128 + 256k bytes also starts with 0x80.
    long headerLength =
        n >= 8 ? ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() : 0;
    if (n >= 9 && head[8] == '{' && headerLength != 0) {
      return SAFETENSORS;
    }
    if (n >= 1 && (head[0] & 0xff) == 0x80) {
      if (startsWith(head, LEGACY_MAGIC)) {
        throw FormatException.unsupported(LEGACY_MESSAGE);
      }
      throw FormatException.unsupported(
          "this is a bare pickle, not a torch.save zip; re-save it with"
              + " torch.save(model.state_dict()) in torch 1.6 or later, or send safetensors");
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(n, 8); i++) {
      hex.append(i > 0 ? " " : "").append(String.format("%02x", head[i] & 0xff));
    }
    throw FormatException.malformed(
        "not a checkpoint: expected a torch.save zip or safetensors file (first bytes "
            + hex
            + ")");
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
