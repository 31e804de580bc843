package dev.graft.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

/**
 * The storage settings bind from environment variables as an operator writes them, with defaults.
 */
class S3SettingsTests {

  private static StorageProperties bind(Map<String, Object> env) {
    // Boot maps GRAFT_STORAGE_TYPE to graft.storage.type only for sources named like the
    // environment.
    StandardEnvironment environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .addFirst(
            new SystemEnvironmentPropertySource(
                "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
    return new Binder(ConfigurationPropertySources.get(environment))
        .bindOrCreate("graft.storage", StorageProperties.class);
  }

  @Test
  void shouldDefaultToTheFilesystemStore() {
    StorageProperties storage = bind(Map.of());
    assertThat(storage.type()).isEqualTo(StorageProperties.StorageType.FILESYSTEM);
    assertThat(storage.s3().region()).isEqualTo("us-east-1");
    assertThat(storage.s3().partSize()).isEqualTo(DataSize.ofMegabytes(64));
    assertThat(storage.s3().readAhead()).isEqualTo(DataSize.ofMegabytes(8));
    assertThat(storage.s3().createBucket()).isTrue();
    assertThat(storage.s3().prefix()).isEmpty();
  }

  @Test
  void shouldBindTheS3SettingsFromEnvironmentVariablesAndKeepTheSecretOutOfToString() {
    StorageProperties p =
        bind(
            Map.of(
                "GRAFT_STORAGE_TYPE", "s3",
                "GRAFT_STORAGE_S3_ENDPOINT", "http://minio:9000",
                "GRAFT_STORAGE_S3_BUCKET", "models",
                "GRAFT_STORAGE_S3_ACCESS_KEY", "graft",
                "GRAFT_STORAGE_S3_SECRET_KEY", "very-secret",
                "GRAFT_STORAGE_S3_PART_SIZE", "16MB",
                "GRAFT_STORAGE_S3_CREATE_BUCKET", "false"));
    StorageProperties.S3 s3 = p.s3();
    assertThat(p.type()).isEqualTo(StorageProperties.StorageType.S3);
    assertThat(s3.endpoint()).isEqualTo("http://minio:9000");
    assertThat(s3.bucket()).isEqualTo("models");
    assertThat(s3.accessKey()).isEqualTo("graft");
    assertThat(s3.secretKey()).isEqualTo("very-secret");
    assertThat(s3.partSize()).isEqualTo(DataSize.ofMegabytes(16));
    assertThat(s3.createBucket()).isFalse();
    assertThat(p.toString()).doesNotContain("very-secret");
  }
}
