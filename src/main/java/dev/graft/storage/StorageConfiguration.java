package dev.graft.storage;

import dev.graft.shared.GraftProperties;
import java.io.IOException;
import java.net.URI;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Chooses the blob store from {@code graft.storage.type}: the local filesystem under {@code
 * graft.data-dir/blobs} (the default), or an S3-compatible bucket ({@code graft.storage.s3.*}) with
 * pending uploads staged under {@code graft.data-dir/blobs/tmp}.
 */
@Configuration(proxyBeanMethods = false)
class StorageConfiguration {

  @Bean
  BlobStore blobStore(GraftProperties properties) throws IOException {
    GraftProperties.Storage storage = properties.storage();
    if (storage.type() == GraftProperties.StorageType.S3) {
      return s3(storage.s3(), properties);
    }
    return new FilesystemBlobStore(properties.dataDir().resolve("blobs"));
  }

  /** Builds the S3 store; Spring closes it (and its client) on shutdown. */
  static S3BlobStore s3(GraftProperties.S3 settings, GraftProperties properties) throws IOException {
    if (settings.bucket().isBlank()) {
      throw new IllegalStateException("graft.storage.type=s3 needs graft.storage.s3.bucket");
    }
    S3ClientBuilder builder =
        S3Client.builder()
            .region(Region.of(settings.region()))
            // MinIO and most S3-compatible servers have no per-bucket DNS names.
            .forcePathStyle(true)
            .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64));
    if (!settings.endpoint().isBlank()) {
      builder.endpointOverride(URI.create(settings.endpoint()));
    }
    if (!settings.accessKey().isBlank()) {
      builder.credentialsProvider(
          StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
    } else {
      builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
    }
    S3BlobStore store =
        new S3BlobStore(
            builder.build(),
            settings.bucket(),
            settings.prefix(),
            settings.partSize().toBytes(),
            (int) Math.min(Integer.MAX_VALUE - 8, settings.readAhead().toBytes()),
            properties.dataDir().resolve("blobs").resolve("tmp"));
    if (settings.createBucket()) {
      store.createBucketIfMissing();
    }
    return store;
  }
}
