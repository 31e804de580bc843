package dev.graft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

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
  public static final long MIN_PART_SIZE = S3Upload.MIN_PART_SIZE;

  private final S3Bucket bucket;
  private final S3Upload upload;
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
    if (readAhead < 1) {
      throw new IllegalArgumentException("read-ahead must be positive");
    }
    this.bucket = new S3Bucket(s3, bucket, prefix);
    this.upload = new S3Upload(this.bucket, partSize);
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
    bucket.createIfMissing();
  }

  /** The object key of a blob. */
  public String keyOf(String sha256) {
    return bucket.keyOf(sha256);
  }

  @Override
  public java.util.List<String> storedBefore(java.time.Instant cutoff) throws IOException {
    return bucket.storedBefore(cutoff);
  }

  @Override
  public void probe() throws IOException {
    bucket.probe();
  }

  @Override
  PendingBlob pending(Path staged, String sha256, long size, BlockCrcs crcs) {
    return new S3PendingBlob(staged, sha256, size, crcs);
  }

  @Override
  public boolean exists(String sha256) {
    try {
      return bucket.head(sha256).isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public long size(String sha256) throws IOException {
    return bucket.head(sha256).orElseThrow(() -> new BlobMissing(sha256)).contentLength();
  }

  @Override
  public SeekableByteChannel open(String sha256) throws IOException {
    return new S3RangedChannel(bucket, readAhead, sha256, size(sha256));
  }

  @Override
  public InputStream openRange(String sha256, long offset, long length) throws IOException {
    if (length <= 0) {
      // A zero-length range cannot be expressed as an HTTP range; still say whether the blob
      // exists.
      size(sha256);
      return InputStream.nullInputStream();
    }
    return bucket.get(sha256, offset, offset + length - 1);
  }

  @Override
  public Optional<Path> localPath(String sha256) {
    return Optional.empty();
  }

  @Override
  public void delete(String sha256) throws IOException {
    bucket.delete(sha256);
  }

  /** Closes the S3 client. */
  @Override
  public void close() {
    bucket.close();
  }

  private final class S3PendingBlob extends LocalPendingBlob {

    S3PendingBlob(Path file, String sha256, long size, BlockCrcs crcs) {
      super(file, sha256, size, crcs);
    }

    @Override
    public void commit() throws IOException {
      // The staged file stays until close(), so the content can be committed again should a
      // collector remove the object before the rows naming it are written.
      upload.send(file, sha256(), size());
    }

    @Override
    public void close() throws IOException {
      // The local copy is only ever a staging file: gone whether or not it was committed.
      Files.deleteIfExists(file);
    }
  }
}
