package dev.graft.storage;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Where blobs are stored ({@code graft.storage.*}); each setting is in the README's configuration
 * table.
 *
 * @param type {@code filesystem} (under {@code graft.data-dir/blobs}) or {@code s3}
 * @param s3 the S3-compatible store's settings, used when the type is {@code s3}
 */
@ConfigurationProperties("graft.storage")
public record StorageProperties(@DefaultValue("filesystem") StorageType type, @DefaultValue S3 s3) {

  /** Where blobs are kept. */
  public enum StorageType {
    /** Files under {@code data-dir/blobs}. */
    FILESYSTEM,
    /** An S3-compatible bucket. */
    S3
  }

  /**
   * An S3-compatible store (AWS S3, MinIO, Ceph, ...), addressed path-style.
   *
   * @param endpoint the service URL, e.g. {@code http://minio:9000}; empty for AWS S3 in {@code
   *     region}
   * @param region the signing region
   * @param bucket the bucket; required
   * @param accessKey the access key; empty to use the AWS default credential chain (environment,
   *     profile, instance or pod role)
   * @param secretKey the secret key, with {@code accessKey}
   * @param prefix a key prefix inside the bucket, so several installations can share one
   * @param partSize the multipart part size (at least 5MB); smaller objects go in one PutObject
   * @param readAhead how much one ranged GET fetches when a reader reads a little at a time
   * @param createBucket whether to create the bucket on startup when it is missing
   */
  public record S3(
      @DefaultValue("") String endpoint,
      @DefaultValue("us-east-1") String region,
      @DefaultValue("") String bucket,
      @DefaultValue("") String accessKey,
      @DefaultValue("") String secretKey,
      @DefaultValue("") String prefix,
      @DefaultValue("64MB") DataSize partSize,
      @DefaultValue("8MB") DataSize readAhead,
      @DefaultValue("true") boolean createBucket) {

    /** Hides the secret key from logs and actuator output. */
    @Override
    public String toString() {
      return "S3[endpoint="
          + endpoint
          + ", region="
          + region
          + ", bucket="
          + bucket
          + ", prefix="
          + prefix
          + "]";
    }
  }
}
