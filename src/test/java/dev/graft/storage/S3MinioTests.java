package dev.graft.storage;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 store's tests against a real MinIO in Docker. Skipped, with Testcontainers' reason
 * ("Docker is not available"), where no Docker engine is reachable; run on their own with {@code
 * -Dgroups=docker}.
 */
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class S3MinioTests extends S3BlobStoreTests {

  @Container
  static final MinIOContainer MINIO =
      new MinIOContainer("minio/minio:RELEASE.2023-09-04T19-57-37Z")
          .withUserName("graft-test")
          .withPassword("graft-test-secret");

  @Override
  protected S3ClientBuilder clientBuilder() {
    return S3BlobStore.clientBuilder(
        URI.create(MINIO.getS3URL()), "us-east-1", MINIO.getUserName(), MINIO.getPassword());
  }

  @Override
  protected List<String> keys(String bucket) {
    try (S3Client s3 = clientBuilder().build()) {
      return s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream()
          .map(S3Object::key)
          .toList();
    }
  }
}
