package dev.graft.storage;

import dev.graft.shared.GraftProperties;
import java.io.IOException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Chooses the blob store: the local filesystem under {@code graft.data-dir/blobs}. */
@Configuration(proxyBeanMethods = false)
class StorageConfiguration {

  @Bean
  BlobStore blobStore(GraftProperties properties) throws IOException {
    return new FilesystemBlobStore(properties.dataDir().resolve("blobs"));
  }
}
