package dev.graft.format;

import dev.graft.format.torchscript.TorchScriptReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/**
 * Reads a checkpoint's tensor index from a file, recognising its format from its first bytes.
 *
 * <p>Nothing from the file is ever executed: torch zips go through a restricted unpickler, and
 * every size is checked against {@link ReadLimits} before it is used. Each read runs under one work
 * budget and deadline ({@link ReadLimits#maxWork()}, {@link ReadLimits#maxParseMillis()}), and a
 * torch zip's every record is checked against its CRC-32, through a {@link RangeCrc} the caller may
 * supply.
 */
public final class CheckpointReader {

  static final String LEGACY_MESSAGE =
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

  private CheckpointReader() {}

  /**
   * Reads the index of a checkpoint.
   *
   * @param file the whole file, positioned anywhere
   * @param format the expected format, or {@code null} to detect it
   * @param stateDictPath where the state dict sits in a nested torch checkpoint (dotted), or {@code
   *     null} to detect it
   * @param limits the limits to enforce
   * @return the checkpoint's index
   * @throws FormatException when the file is refused; the message says what and where
   * @throws java.io.IOException when the channel cannot be read
   */
  public static CheckpointIndex read(
      SeekableByteChannel file, CheckpointFormat format, String stateDictPath, ReadLimits limits)
      throws java.io.IOException {
    return read(file, format, stateDictPath, limits, RangeCrc.reading(file));
  }

  /**
   * Reads the index of a checkpoint, taking the CRC-32 of a torch zip's records from {@code crcs}
   * (for a store that computed them while the file was received) instead of reading them again.
   *
   * @param file the whole file, positioned anywhere
   * @param format the expected format, or {@code null} to detect it
   * @param stateDictPath where the state dict sits in a nested torch checkpoint (dotted), or {@code
   *     null} to detect it
   * @param limits the limits to enforce
   * @param crcs gives the CRC-32 of byte ranges of {@code file}; unused for safetensors
   * @return the checkpoint's index
   * @throws FormatException when the file is refused; the message says what and where
   * @throws java.io.IOException when the channel cannot be read
   */
  public static CheckpointIndex read(
      SeekableByteChannel file,
      CheckpointFormat format,
      String stateDictPath,
      ReadLimits limits,
      RangeCrc crcs)
      throws java.io.IOException {
    CheckpointFormat detected = detect(file);
    if (format != null && format != detected) {
      throw FormatException.unsupported(
          "expected a "
              + format.wireName()
              + " file, but this is a "
              + detected.wireName()
              + " file");
    }
    return detected == CheckpointFormat.PYTORCH
        ? TorchCheckpointReader.read(file, stateDictPath, limits, crcs)
        : SafetensorsReader.read(file, limits);
  }

  /**
   * Tells whether a file is a TorchScript archive ({@code torch.jit.save}), which {@link #read}
   * refuses as a checkpoint and {@link TorchScriptReader} reads as an architecture.
   *
   * @param file the whole file
   * @param limits the limits to enforce while opening the zip
   * @return {@code true} for a well-formed torch zip holding TorchScript records; {@code false} for
   *     anything else, including files no reader accepts (the reader chosen then says why)
   * @throws IOException when the channel cannot be read
   */
  public static boolean isTorchScript(SeekableByteChannel file, ReadLimits limits)
      throws IOException {
    try {
      if (detect(file) != CheckpointFormat.PYTORCH) {
        return false;
      }
      return TorchCheckpointReader.isTorchScript(TorchZip.open(file, limits));
    } catch (FormatException notOne) {
      return false;
    }
  }

  /**
   * Recognises a file's format from its first bytes.
   *
   * @param file the whole file
   * @return the format
   * @throws FormatException UNSUPPORTED for a legacy torch file or bare pickle, MALFORMED for
   *     anything else that is neither a torch zip nor safetensors
   * @throws IOException when the channel cannot be read
   */
  public static CheckpointFormat detect(SeekableByteChannel file) throws IOException {
    int n = (int) Math.min(16, file.size());
    ByteBuffer head = ChannelReads.readAt(file, 0, n, "the file header");
    byte[] b = new byte[n];
    head.get(b);
    if (n >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) {
      return CheckpointFormat.PYTORCH;
    }
    // Before the pickle check: a safetensors header of 128 + 256k bytes also starts with 0x80.
    long headerLength = n >= 8 ? head.getLong(0) : 0;
    if (n >= 9 && b[8] == '{' && headerLength != 0) {
      return CheckpointFormat.SAFETENSORS;
    }
    if (n >= 1 && (b[0] & 0xff) == 0x80) {
      if (startsWith(b, LEGACY_MAGIC)) {
        throw FormatException.unsupported(LEGACY_MESSAGE);
      }
      throw FormatException.unsupported(
          "this is a bare pickle, not a torch.save zip; re-save it with"
              + " torch.save(model.state_dict()) in torch 1.6 or later, or send safetensors");
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(n, 8); i++) {
      hex.append(i > 0 ? " " : "").append(String.format("%02x", b[i] & 0xff));
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
