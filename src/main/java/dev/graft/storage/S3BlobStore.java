package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Blobs as objects in an S3-compatible bucket, at {@code PREFIX/sha256/ab/cd/<hash>}.
 *
 * <p>Uploads are hashed before their key is known and parsed from a random-access copy, so {@link
 * #write} streams into a local temporary file (through {@link HashingFileWriter}, under {@code
 * tmpDir}) and {@link PendingBlob#commit()} uploads that file: one PutObject below the part size,
 * else a multipart upload whose parts are streamed from the file, never buffered whole. A commit is
 * skipped when the object already exists (HeadObject), since content-addressed bytes are the same.
 *
 * <p>Integrity: every PutObject and UploadPart carries a {@code Content-MD5} of exactly the bytes
 * sent, computed from the local file just before sending, which every S3-compatible server verifies
 * (a mismatch fails the request, and a multipart upload is then aborted). The SDK's newer flexible
 * checksums (CRC32 or SHA-256 trailers, {@code x-amz-checksum-algorithm}) are not used: S3Proxy and
 * other S3-compatible servers refuse them (501, or a signature mismatch), so the client sends them
 * only where an operation requires them. Over plain HTTP the SigV4 signature also covers each
 * body's SHA-256. After the upload, the stored object's size is compared with the local file's
 * (HeadObject); a mismatch deletes the object and fails the commit. The full-object SHA-256 is the
 * one computed while receiving; the object is not downloaded again to re-hash it.
 *
 * <p>Reads: {@link #open} gives a channel doing ranged GETs through a read-ahead buffer, so the
 * format readers and the worker fetch only the parts of an object they read; {@link #openRange} is
 * one ranged GET. {@link #localPath} is always empty. Temporary files are removed whatever happens.
 */
public class S3BlobStore extends StagingBlobStore implements AutoCloseable {

  /** S3's smallest part size (except the last part). */
  public static final long MIN_PART_SIZE = 5L << 20;

  private static final int MAX_PARTS = 10_000;
  private static final int FETCH_ATTEMPTS = 3;

  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final long partSize;
  private final int readAhead;

  /**
   * Creates a store over an existing client; nothing is sent until used.
   *
   * @param s3 the client (closed by {@link #close()})
   * @param bucket the bucket
   * @param prefix the key prefix, may be empty; slashes at either end are ignored
   * @param partSize the multipart part size, at least {@link #MIN_PART_SIZE}; objects smaller than
   *     one part are sent with a single PutObject
   * @param readAhead bytes fetched per ranged GET when reading through {@link #open}
   * @param tmpDir where pending uploads are written (created if missing)
   * @throws IllegalArgumentException when the part size is below S3's minimum
   * @throws IOException when the temporary folder cannot be created
   */
  public S3BlobStore(
      S3Client s3, String bucket, String prefix, long partSize, int readAhead, Path tmpDir)
      throws IOException {
    super(tmpDir.toAbsolutePath());
    if (partSize < MIN_PART_SIZE) {
      throw new IllegalArgumentException(
          "S3 part size must be at least 5MB, got " + partSize + " bytes");
    }
    if (readAhead < 1) {
      throw new IllegalArgumentException("read-ahead must be positive");
    }
    this.s3 = s3;
    this.bucket = bucket;
    String p = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
    this.prefix = p.isEmpty() ? "" : p + "/";
    this.partSize = partSize;
    this.readAhead = readAhead;
  }

  /**
   * A client for an S3-compatible server: path-style addressing (MinIO and most S3-compatible
   * servers have no per-bucket host names), Apache HttpClient 5 (it streams request bodies), and
   * the SDK's flexible checksums only where an operation requires them (see the class comment).
   *
   * @param endpoint the server's URL, or {@code null} for AWS S3 in {@code region}
   * @param region the signing region
   * @param accessKey the access key, or blank for the AWS default credential chain
   * @param secretKey the secret key, with {@code accessKey}
   */
  public static S3Client newClient(
      URI endpoint, String region, String accessKey, String secretKey) {
    return clientBuilder(endpoint, region, accessKey, secretKey).build();
  }

  /**
   * The builder behind {@link #newClient}, for callers that add to it (tests add interceptors).
   *
   * @param endpoint the server's URL, or {@code null} for AWS S3 in {@code region}
   * @param region the signing region
   * @param accessKey the access key, or blank for the AWS default credential chain
   * @param secretKey the secret key, with {@code accessKey}
   */
  public static S3ClientBuilder clientBuilder(
      URI endpoint, String region, String accessKey, String secretKey) {
    S3ClientBuilder builder =
        S3Client.builder()
            .region(Region.of(region))
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64));
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    if (accessKey != null && !accessKey.isBlank()) {
      builder.credentialsProvider(
          StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
    } else {
      builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
    }
    return builder;
  }

  /**
   * Creates the bucket unless it exists.
   *
   * @throws IOException when the bucket can neither be found nor created
   */
  public void createBucketIfMissing() throws IOException {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw new IOException("cannot reach S3 bucket " + bucket + ": " + e.getMessage(), e);
      }
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (S3Exception c) {
        // Another replica may have created it in between.
        if (c.statusCode() != 409) {
          throw new IOException("cannot create S3 bucket " + bucket + ": " + c.getMessage(), c);
        }
      }
    } catch (SdkException e) {
      throw new IOException("cannot reach S3 bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  /** The object key of a blob. */
  public String keyOf(String sha256) {
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256: " + sha256);
    }
    return prefix
        + "sha256/"
        + sha256.substring(0, 2)
        + "/"
        + sha256.substring(2, 4)
        + "/"
        + sha256;
  }

  @Override
  PendingBlob pending(Path staged, String sha256, long size) {
    return new S3PendingBlob(staged, sha256, size);
  }

  @Override
  public boolean exists(String sha256) {
    try {
      return head(sha256).isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public long size(String sha256) throws IOException {
    return head(sha256).orElseThrow(() -> new BlobMissing(sha256)).contentLength();
  }

  @Override
  public SeekableByteChannel open(String sha256) throws IOException {
    return new RangedChannel(keyOf(sha256), sha256, size(sha256));
  }

  @Override
  public InputStream openRange(String sha256, long offset, long length) throws IOException {
    if (length <= 0) {
      // A zero-length range cannot be expressed as an HTTP range; still say whether the blob
      // exists.
      size(sha256);
      return InputStream.nullInputStream();
    }
    return get(keyOf(sha256), sha256, offset, offset + length - 1);
  }

  @Override
  public Optional<Path> localPath(String sha256) {
    return Optional.empty();
  }

  @Override
  public void delete(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw new IOException("cannot delete " + key + " from S3: " + e.getMessage(), e);
    }
  }

  /** Closes the S3 client. */
  @Override
  public void close() {
    s3.close();
  }

  private Optional<HeadObjectResponse> head(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw new IOException("cannot look up " + key + " in S3: " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new IOException("cannot look up " + key + " in S3: " + e.getMessage(), e);
    }
  }

  /** One ranged GET of bytes {@code first..last} inclusive. */
  private ResponseInputStream<GetObjectResponse> get(
      String key, String sha256, long first, long last) throws IOException {
    try {
      return s3.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + first + "-" + last));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new BlobMissing(sha256);
      }
      throw new IOException("cannot read " + key + " from S3: " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new IOException("cannot read " + key + " from S3: " + e.getMessage(), e);
    }
  }

  /** Uploads a local file under its hash, unless the object is already there. */
  private void upload(Path file, String sha256, long size) throws IOException {
    if (head(sha256).isPresent()) {
      return;
    }
    String key = keyOf(sha256);
    try {
      if (size <= partSize) {
        String md5 = md5(file, 0, size);
        s3.putObject(
            b -> b.bucket(bucket).key(key).contentLength(size).contentMD5(md5),
            RequestBody.fromFile(file));
      } else {
        multipart(file, key, size);
      }
    } catch (SdkException e) {
      throw new IOException("cannot upload " + key + " to S3: " + e.getMessage(), e);
    }
    long stored =
        head(sha256)
            .orElseThrow(() -> new IOException("S3 lost " + key + " right after upload"))
            .contentLength();
    if (stored != size) {
      delete(sha256);
      throw new IOException("S3 stored " + stored + " bytes for " + key + ", expected " + size);
    }
  }

  private void multipart(Path file, String key, long size) throws IOException {
    // S3 allows 10,000 parts: grow the parts for objects too large for the configured size.
    long part = Math.max(partSize, (size + MAX_PARTS - 1) / MAX_PARTS);
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    boolean done = false;
    try {
      List<CompletedPart> parts = new ArrayList<>();
      int number = 1;
      for (long offset = 0; offset < size; offset += part, number++) {
        long length = Math.min(part, size - offset);
        long from = offset;
        int n = number;
        String md5 = md5(file, from, length);
        // Streamed from the file region: the SDK reads it as it sends, and again on a retry.
        RequestBody body =
            RequestBody.fromContentProvider(
                () -> regionStream(file, from, length), length, "application/octet-stream");
        UploadPartResponse r =
            s3.uploadPart(
                b ->
                    b.bucket(bucket)
                        .key(key)
                        .uploadId(uploadId)
                        .partNumber(n)
                        .contentLength(length)
                        .contentMD5(md5),
                body);
        parts.add(CompletedPart.builder().partNumber(n).eTag(r.eTag()).build());
      }
      s3.completeMultipartUpload(
          b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
      done = true;
    } finally {
      if (!done) {
        try {
          s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException ignored) {
          // The upload failed already; a stale upload is cleaned up by the bucket's lifecycle
          // rules.
        }
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

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private final class S3PendingBlob extends LocalPendingBlob {

    S3PendingBlob(Path file, String sha256, long size) {
      super(file, sha256, size);
    }

    @Override
    public void commit() throws IOException {
      upload(file, sha256(), size());
      Files.deleteIfExists(file);
    }

    @Override
    public void close() throws IOException {
      // The local copy is only ever a staging file: gone whether or not it was committed.
      Files.deleteIfExists(file);
    }
  }

  /**
   * A read-only channel over one object: reads are served from a read-ahead buffer refilled by
   * ranged GETs; a read larger than the buffer goes straight into the caller's buffer with one GET.
   */
  private final class RangedChannel implements SeekableByteChannel {
    private final String key;
    private final String sha256;
    private final long size;
    private long position;
    private ByteBuffer buffer;
    private long bufferStart = -1;
    private boolean open = true;

    RangedChannel(String key, String sha256, long size) {
      this.key = key;
      this.sha256 = sha256;
      this.size = size;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      ensureOpen();
      if (position >= size) {
        return -1;
      }
      if (!dst.hasRemaining()) {
        return 0;
      }
      int wanted = (int) Math.min(dst.remaining(), size - position);
      if (buffer != null && position >= bufferStart && position < bufferStart + buffer.limit()) {
        int at = (int) (position - bufferStart);
        int n = Math.min(wanted, buffer.limit() - at);
        dst.put(buffer.slice(at, n));
        position += n;
        return n;
      }
      if (wanted >= readAhead) {
        // A large tensor: one GET straight into the caller's buffer, no copy through ours.
        int n = fetch(position, dst, wanted);
        position += n;
        return n;
      }
      if (buffer == null) {
        buffer = ByteBuffer.allocate((int) Math.min(readAhead, size));
      }
      int fill = (int) Math.min(buffer.capacity(), size - position);
      buffer.clear();
      bufferStart = -1;
      int got = fetch(position, buffer, fill);
      buffer.flip();
      bufferStart = position;
      int n = Math.min(wanted, got);
      dst.put(buffer.slice(0, n));
      position += n;
      return n;
    }

    /**
     * Reads {@code length} bytes at {@code from} into {@code into}; returns the count. A connection
     * dropped mid-body is retried from the start of the range (the SDK retries only failures before
     * the body), so a long tensor read survives a transient network fault.
     */
    private int fetch(long from, ByteBuffer into, int length) throws IOException {
      int start = into.position();
      for (int attempt = 1; ; attempt++) {
        try {
          return fetchOnce(from, into, length);
        } catch (BlobMissing e) {
          throw e;
        } catch (IOException e) {
          if (attempt >= FETCH_ATTEMPTS) {
            throw e;
          }
          into.position(start);
        }
      }
    }

    private int fetchOnce(long from, ByteBuffer into, int length) throws IOException {
      try (ResponseInputStream<GetObjectResponse> in = get(key, sha256, from, from + length - 1)) {
        int total = 0;
        byte[] chunk = into.hasArray() ? null : new byte[64 << 10];
        while (total < length) {
          int n;
          if (chunk == null) {
            n = in.read(into.array(), into.arrayOffset() + into.position(), length - total);
            if (n > 0) {
              into.position(into.position() + n);
            }
          } else {
            n = in.read(chunk, 0, Math.min(chunk.length, length - total));
            if (n > 0) {
              into.put(chunk, 0, n);
            }
          }
          if (n < 0) {
            break;
          }
          total += n;
        }
        if (total < length) {
          // The object's size is known and fixed, so a short body is a cut connection.
          throw new IOException(
              "S3 returned " + total + " of " + length + " bytes for " + key + " at " + from);
        }
        return total;
      }
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
      ensureOpen();
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
      ensureOpen();
      if (newPosition < 0) {
        throw new IllegalArgumentException("negative position");
      }
      position = newPosition;
      return this;
    }

    @Override
    public long size() throws IOException {
      ensureOpen();
      return size;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
      throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
      buffer = null;
    }

    private void ensureOpen() throws ClosedChannelException {
      if (!open) {
        throw new ClosedChannelException();
      }
    }
  }
}
