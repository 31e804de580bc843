package dev.graft.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Value;
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
  BlobStore blobStore(
      StorageProperties storage,
      @Value("${graft.data-dir:./graft-data}") Path dataDir,
      io.micrometer.core.instrument.MeterRegistry registry)
      throws IOException {
    if (storage.type() == StorageProperties.StorageType.S3) {
      return s3(storage.s3(), dataDir, registry);
    }
    return new FilesystemBlobStore(dataDir.resolve("blobs"));
  }

  /** Builds the S3 store; Spring closes it (and its client) on shutdown. */
  /** Builds the S3 store, counting its calls in {@code registry} when there is one. */
  static S3BlobStore s3(
      StorageProperties.S3 settings,
      Path dataDir,
      io.micrometer.core.instrument.MeterRegistry registry)
      throws IOException {
    if (settings.bucket().isBlank()) {
      throw new IllegalStateException("graft.storage.type=s3 needs graft.storage.s3.bucket");
    }
    var builder =
        S3BlobStore.clientBuilder(
            settings.endpoint().isBlank() ? null : URI.create(settings.endpoint()),
            settings.region(),
            settings.accessKey(),
            settings.secretKey());
    if (registry != null) {
      builder.overrideConfiguration(c -> c.addExecutionInterceptor(new S3Metrics(registry)));
    }
    S3Client client = builder.build();
    S3BlobStore store =
        new S3BlobStore(
            client,
            settings.bucket(),
            settings.prefix(),
            settings.partSize().toBytes(),
            (int) Math.min(Integer.MAX_VALUE - 8, settings.readAhead().toBytes()),
            dataDir.resolve("blobs").resolve("tmp"));
    if (settings.createBucket()) {
      store.createBucketIfMissing();
    }
    return store;
  }
}
