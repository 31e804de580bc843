package dev.graft.storage;

import java.io.IOException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The blob store in {@code /actuator/health} and the readiness group ({@code blobStore}): down
 * while the blob folder is missing or read-only, or the S3 bucket cannot be reached or is gone.
 */
@Component
class BlobStoreHealthIndicator implements HealthIndicator {

  private final BlobStore blobs;

  BlobStoreHealthIndicator(BlobStore blobs) {
    this.blobs = blobs;
  }

  @Override
  public Health health() {
    String type = blobs instanceof S3BlobStore ? "s3" : "filesystem";
    try {
      blobs.probe();
      return Health.up().withDetail("type", type).build();
    } catch (IOException | RuntimeException e) {
      return Health.down().withDetail("type", type).withDetail("error", e.getMessage()).build();
    }
  }
}
