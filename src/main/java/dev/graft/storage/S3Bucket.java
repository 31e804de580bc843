package dev.graft.storage;

import dev.graft.storage.BlobStore.BlobMissing;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * One bucket and key prefix of an S3-compatible server, in the words the blob store needs: every
 * call names a blob's key, and every SDK failure becomes an {@link IOException} that says which
 * operation on which key failed ({@link BlobMissing} for a 404 on a read).
 */
final class S3Bucket implements AutoCloseable {

  private final S3Client s3;
  private final String bucket;
  private final String prefix;

  /**
   * @param s3 the client (closed by {@link #close()})
   * @param bucket the bucket
   * @param prefix the key prefix, may be empty; slashes at either end are ignored
   */
  S3Bucket(S3Client s3, String bucket, String prefix) {
    this.s3 = s3;
    this.bucket = bucket;
    String p = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
    this.prefix = p.isEmpty() ? "" : p + "/";
  }

  /**
   * A failure as an exception: the store cannot be reached (a connection failure, or the server
   * answering 5xx) is {@link BlobStore.StoreUnavailable}, which callers answer 503; anything else
   * is a plain I/O failure.
   */
  static IOException failed(String message, Exception e) {
    boolean unreachable =
        e instanceof software.amazon.awssdk.core.exception.SdkClientException
            || (e instanceof S3Exception s && s.statusCode() >= 500);
    return unreachable ? new BlobStore.StoreUnavailable(message, e) : new IOException(message, e);
  }

  /** The hashes of the objects under the prefix last modified before {@code cutoff}. */
  java.util.List<String> storedBefore(java.time.Instant cutoff) throws IOException {
    try {
      java.util.List<String> shas = new java.util.ArrayList<>();
      s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + "sha256/"))
          .contents()
          .forEach(
              o -> {
                String name = o.key().substring(o.key().lastIndexOf('/') + 1);
                if (name.matches("[0-9a-f]{64}") && o.lastModified().isBefore(cutoff)) {
                  shas.add(name);
                }
              });
      return shas;
    } catch (SdkException e) {
      throw failed("cannot list S3 bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  /** Whether the bucket can be reached and exists (for health). */
  void probe() throws IOException {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (SdkException e) {
      throw failed("S3 bucket " + bucket + " cannot be reached: " + e.getMessage(), e);
    }
  }

  /** The object key of a blob: {@code PREFIX/sha256/ab/cd/<hash>}. */
  String keyOf(String sha256) {
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

  /**
   * Creates the bucket unless it exists.
   *
   * @throws IOException when the bucket can neither be found nor created
   */
  void createIfMissing() throws IOException {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw failed("cannot reach S3 bucket " + bucket + ": " + e.getMessage(), e);
      }
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (S3Exception c) {
        // Another replica may have created it in between.
        if (c.statusCode() != 409) {
          throw failed("cannot create S3 bucket " + bucket + ": " + c.getMessage(), c);
        }
      }
    } catch (SdkException e) {
      throw failed("cannot reach S3 bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  /** The object's metadata, or empty when there is none. */
  Optional<HeadObjectResponse> head(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failed("cannot look up " + key + " in S3: " + e.getMessage(), e);
    } catch (SdkException e) {
      throw failed("cannot look up " + key + " in S3: " + e.getMessage(), e);
    }
  }

  /**
   * One ranged GET of bytes {@code first..last} inclusive.
   *
   * @throws BlobMissing when there is no such object
   */
  ResponseInputStream<GetObjectResponse> get(String sha256, long first, long last)
      throws IOException {
    String key = keyOf(sha256);
    try {
      return s3.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + first + "-" + last));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new BlobMissing(sha256);
      }
      throw failed("cannot read " + key + " from S3: " + e.getMessage(), e);
    } catch (SdkException e) {
      throw failed("cannot read " + key + " from S3: " + e.getMessage(), e);
    }
  }

  /** One PutObject of a whole body, checked by {@code Content-MD5}. */
  void put(String sha256, long size, String md5, RequestBody body) throws IOException {
    String key = keyOf(sha256);
    try {
      s3.putObject(
          (Consumer<PutObjectRequest.Builder>)
              b -> b.bucket(bucket).key(key).contentLength(size).contentMD5(md5),
          body);
    } catch (SdkException e) {
      throw failed("cannot upload " + key + " to S3: " + e.getMessage(), e);
    }
  }

  /** Starts a multipart upload; returns its id. */
  String startMultipart(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      return s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    } catch (SdkException e) {
      throw failed("cannot start uploading " + key + " to S3: " + e.getMessage(), e);
    }
  }

  /** Uploads one part, checked by {@code Content-MD5}; returns it for completion. */
  CompletedPart uploadPart(
      String sha256, String uploadId, int number, long length, String md5, RequestBody body)
      throws IOException {
    String key = keyOf(sha256);
    try {
      String etag =
          s3.uploadPart(
                  (Consumer<UploadPartRequest.Builder>)
                      b ->
                          b.bucket(bucket)
                              .key(key)
                              .uploadId(uploadId)
                              .partNumber(number)
                              .contentLength(length)
                              .contentMD5(md5),
                  body)
              .eTag();
      return CompletedPart.builder().partNumber(number).eTag(etag).build();
    } catch (SdkException e) {
      throw failed("cannot upload part " + number + " of " + key + " to S3: " + e.getMessage(), e);
    }
  }

  /** Completes a multipart upload from its parts, in order. */
  void completeMultipart(String sha256, String uploadId, java.util.List<CompletedPart> parts)
      throws IOException {
    String key = keyOf(sha256);
    try {
      s3.completeMultipartUpload(
          b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    } catch (SdkException e) {
      throw failed("cannot complete uploading " + key + " to S3: " + e.getMessage(), e);
    }
  }

  /** Aborts a multipart upload, quietly: it is called when the upload already failed. */
  void abortMultipart(String sha256, String uploadId) {
    try {
      s3.abortMultipartUpload(b -> b.bucket(bucket).key(keyOf(sha256)).uploadId(uploadId));
    } catch (SdkException ignored) {
      // A stale upload is cleaned up by the bucket's lifecycle rules.
    }
  }

  /** Deletes an object; deleting one that is not there succeeds. */
  void delete(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw failed("cannot delete " + key + " from S3: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    s3.close();
  }
}
