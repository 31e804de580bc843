package dev.graft.storage;

import dev.graft.shared.GraftProperties;
import java.io.IOException;
import java.net.URI;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.services.s3.S3Client;

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
  static S3BlobStore s3(GraftProperties.S3 settings, GraftProperties properties)
      throws IOException {
    if (settings.bucket().isBlank()) {
      throw new IllegalStateException("graft.storage.type=s3 needs graft.storage.s3.bucket");
    }
    S3Client client =
        S3BlobStore.newClient(
            settings.endpoint().isBlank() ? null : URI.create(settings.endpoint()),
            settings.region(),
            settings.accessKey(),
            settings.secretKey());
    S3BlobStore store =
        new S3BlobStore(
            client,
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
