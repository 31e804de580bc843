package dev.graft.format.read;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.internal.ChannelReads;
import dev.graft.format.safetensors.SafetensorsReader;
import dev.graft.format.torch.TorchCheckpointReader;
import dev.graft.format.torchscript.TorchScriptReader;
import dev.graft.format.zip.RangeCrc;
import dev.graft.format.zip.TorchZip;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;

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
   * Recognises a file's format from its first bytes ({@link CheckpointFormat#detect}).
   *
   * @param file the whole file
   * @return the format
   * @throws FormatException UNSUPPORTED for a legacy torch file or bare pickle, MALFORMED for
   *     anything else that is neither a torch zip nor safetensors
   * @throws IOException when the channel cannot be read
   */
  public static CheckpointFormat detect(SeekableByteChannel file) throws IOException {
    return CheckpointFormat.detect(ChannelReads.head(file, CheckpointFormat.SIGNATURE_BYTES));
  }

  /**
   * One shard file of a sharded checkpoint.
   *
   * @param fileName its name, as the index's {@code weight_map} gives it
   * @param size its length in bytes
   * @param channel the whole file
   * @param crc CRC-32s of its ranges, as {@link #read(SeekableByteChannel, CheckpointFormat,
   *     String, ReadLimits, RangeCrc)} takes them
   */
  public record Shard(String fileName, long size, SeekableByteChannel channel, RangeCrc crc) {}

  /**
   * Reads a checkpoint in Hugging Face's sharded layout as one checkpoint: its tensors are the
   * shards' in file-name order, at offsets into the shards laid one after another in that order.
   * The index must list every tensor of the shards exactly once, in the shard that holds it, name
   * only shards that were sent and every shard sent, and declare, when it declares {@code
   * metadata.total_size}, the bytes of all tensors.
   *
   * @param indexJson the index file's bytes
   * @param shards the shard files, in any order
   * @throws FormatException naming the key, file or figure that does not agree, or a shard's own
   *     problem, or a limit exceeded by one shard or by all of them together
   */
  public static CheckpointIndex readSharded(byte[] indexJson, List<Shard> shards, ReadLimits limits)
      throws java.io.IOException {
    return ShardedCheckpoints.read(indexJson, shards, limits);
  }
}
