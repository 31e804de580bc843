package dev.graft.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A write-only channel that hashes (SHA-256) and counts what passes through to another channel, so
 * a file written front to back is hashed as it is written rather than read again afterwards.
 */
public final class HashingChannel implements WritableByteChannel {

  private final WritableByteChannel out;
  private final MessageDigest digest;
  private long size;

  /** Wraps {@code out}; closing this channel does not close it. */
  public HashingChannel(WritableByteChannel out) {
    this.out = out;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    ByteBuffer written = src.duplicate();
    int n = out.write(src);
    written.limit(written.position() + n);
    digest.update(written);
    size += n;
    return n;
  }

  /** Lower-case hex SHA-256 of everything written; call once, after the last write. */
  public String sha256() {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Bytes written. */
  public long size() {
    return size;
  }

  @Override
  public boolean isOpen() {
    return out.isOpen();
  }

  @Override
  public void close() {
    // The wrapped channel belongs to the caller.
  }
}
