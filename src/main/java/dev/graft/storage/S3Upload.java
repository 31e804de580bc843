package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Sends a staged local file to the bucket under its hash: one PutObject up to the part size, else a
 * multipart upload whose parts are streamed from the file (never buffered whole), each with a
 * {@code Content-MD5} of exactly the bytes sent, computed from the file just before sending. A
 * failed multipart upload is aborted. Afterwards the stored object's size is checked against the
 * file's; a mismatch deletes the object and fails.
 */
final class S3Upload {

  /** S3's smallest part size (except the last part). */
  static final long MIN_PART_SIZE = 5L << 20;

  private static final int MAX_PARTS = 10_000;

  private final S3Bucket bucket;
  private final long partSize;

  S3Upload(S3Bucket bucket, long partSize) {
    if (partSize < MIN_PART_SIZE) {
      throw new IllegalArgumentException(
          "S3 part size must be at least 5MB, got " + partSize + " bytes");
    }
    this.bucket = bucket;
    this.partSize = partSize;
  }

  /** Uploads {@code file} as the blob {@code sha256}, unless the object is already there. */
  void send(Path file, String sha256, long size) throws IOException {
    if (bucket.head(sha256).isPresent()) {
      return;
    }
    if (size <= partSize) {
      bucket.put(sha256, size, md5(file, 0, size), RequestBody.fromFile(file));
    } else {
      multipart(file, sha256, size);
    }
    long stored =
        bucket
            .head(sha256)
            .orElseThrow(
                () -> new IOException("S3 lost " + bucket.keyOf(sha256) + " right after upload"))
            .contentLength();
    if (stored != size) {
      bucket.delete(sha256);
      throw new IOException(
          "S3 stored " + stored + " bytes for " + bucket.keyOf(sha256) + ", expected " + size);
    }
  }

  private void multipart(Path file, String sha256, long size) throws IOException {
    // S3 allows 10,000 parts: grow the parts for objects too large for the configured size.
    long part = Math.max(partSize, (size + MAX_PARTS - 1) / MAX_PARTS);
    String uploadId = bucket.startMultipart(sha256);
    boolean done = false;
    try {
      List<CompletedPart> parts = new ArrayList<>();
      int number = 1;
      for (long offset = 0; offset < size; offset += part, number++) {
        long length = Math.min(part, size - offset);
        long from = offset;
        // Streamed from the file region: the SDK reads it as it sends, and again on a retry.
        RequestBody body =
            RequestBody.fromContentProvider(
                () -> regionStream(file, from, length), length, "application/octet-stream");
        parts.add(
            bucket.uploadPart(sha256, uploadId, number, length, md5(file, from, length), body));
      }
      bucket.completeMultipart(sha256, uploadId, parts);
      done = true;
    } finally {
      if (!done) {
        bucket.abortMultipart(sha256, uploadId);
      }
    }
  }

  /** Base64 MD5 of a region of a file, as {@code Content-MD5} wants it. */
  private static String md5(Path file, long offset, long length) throws IOException {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      long pos = offset;
      long end = offset + length;
      while (pos < end) {
        buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new IOException("staged upload " + file + " is shorter than expected");
        }
        md5.update(buf.array(), 0, n);
        pos += n;
      }
    }
    return java.util.Base64.getEncoder().encodeToString(md5.digest());
  }

  private static InputStream regionStream(Path file, long offset, long length) {
    try {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      ch.position(offset);
      return new FilesystemBlobStore.BoundedInputStream(
          java.nio.channels.Channels.newInputStream(ch), length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
