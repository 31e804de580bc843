package dev.graft.deployment;

import static dev.graft.deployment.DeploymentFiles.at;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code docker-compose.yml} and {@code .env.example}, read as Compose reads them (no Docker engine
 * exists here to run them): every variable a Graft service gets binds to a real setting, secrets
 * come from {@code .env} and are never written in the file, and the services are wired as the
 * production topology needs.
 */
class ComposeFileTests {

  private static final List<String> GRAFT_SERVICES =
      List.of("graft-api", "graft-worker", "graft-worker-gpu");

  @Test
  void shouldSetOnlyVariablesThatBindToARealSetting() throws Exception {
    ComposeFile compose = ComposeFile.load();
    for (String service : GRAFT_SERVICES) {
      Set<String> names = compose.environment(service).keySet();
      assertThat(GraftSettings.unbound(names)).as("%s: unbound variables", service).isEmpty();
      assertThat(names).contains("GRAFT_ROLES", "SPRING_DATASOURCE_URL", "GRAFT_STORAGE_TYPE");
    }
  }

  @Test
  void shouldTakeEverySecretFromTheEnvFileAndNeverWriteOneIn() throws Exception {
    ComposeFile compose = ComposeFile.load();
    for (String secret : DeploymentFiles.SECRET_VARIABLES) {
      assertThat(compose.raw())
          .as(secret)
          .containsPattern("(?m)^\\s+" + secret + ": \\$\\{[A-Z_]+:\\?[^}]+}\\s*$");
    }
    Map<String, String> example =
        ComposeFile.envFile(DeploymentFiles.root().resolve(".env.example"));
    Set<String> required = new TreeSet<>();
    compose
        .variables()
        .forEach(
            (name, hasDefault) -> {
              if (!hasDefault) {
                required.add(name);
              }
            });
    assertThat(example.keySet())
        .as(".env.example sets every variable without a default")
        .containsAll(required);
    assertThat(example)
        .containsKeys("POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")
        .containsKey("GRAFT_BOOTSTRAP_TOKEN");
    assertThat(Files.readString(DeploymentFiles.root().resolve(".gitignore")))
        .as(".env holds real secrets and is never committed")
        .containsPattern("(?m)^/?\\.env$");
  }

  @Test
  void shouldRunOneApiAndTwoWorkersOverPostgresAndMinioWithItsBucket() throws Exception {
    ComposeFile compose = ComposeFile.load();
    assertThat(compose.environment("graft-api")).containsEntry("GRAFT_ROLES", "api");
    assertThat((List<Object>) at(compose.service("graft-api"), "ports"))
        .anySatisfy(p -> assertThat(String.valueOf(p)).endsWith(":8080"));
    assertThat(compose.environment("graft-worker")).containsEntry("GRAFT_ROLES", "worker");
    assertThat((Object) at(compose.service("graft-worker"), "deploy", "replicas")).isEqualTo(2);
    for (String service : GRAFT_SERVICES) {
      Map<String, String> env = compose.environment(service);
      assertThat(env)
          .containsEntry("GRAFT_EMBEDDEDDATABASE", "false")
          .containsEntry("GRAFT_STORAGE_TYPE", "s3")
          .containsEntry("SPRING_DATASOURCE_URL", "jdbc:postgresql://postgres:5432/graft")
          .containsEntry("GRAFT_STORAGE_S3_ENDPOINT", "http://minio:9000");
      assertThat((Object) at(compose.service(service), "depends_on", "postgres", "condition"))
          .isEqualTo("service_healthy");
      assertThat((Object) at(compose.service(service), "depends_on", "minio-init", "condition"))
          .isEqualTo("service_completed_successfully");
    }
    Map<String, Object> postgres = compose.service("postgres");
    assertThat((Object) at(postgres, "healthcheck", "test")).isNotNull();
    assertThat((List<Object>) at(postgres, "volumes"))
        .anySatisfy(v -> assertThat(String.valueOf(v)).endsWith(":/var/lib/postgresql/data"));
    assertThat(String.valueOf((Object) at(compose.service("minio-init"), "entrypoint")))
        .contains("mc mb --ignore-existing");
    assertThat((Object) at(compose.service("minio-init"), "restart")).isEqualTo("no");
  }

  @Test
  void shouldReserveAnNvidiaGpuForTheGpuProfilesWorker() throws Exception {
    ComposeFile compose = ComposeFile.load();
    Map<String, Object> gpu = compose.service("graft-worker-gpu");
    assertThat((List<Object>) gpu.get("profiles")).containsExactly("gpu");
    List<Map<String, Object>> devices = at(gpu, "deploy", "resources", "reservations", "devices");
    assertThat(devices)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d).containsEntry("driver", "nvidia");
              assertThat((List<Object>) d.get("capabilities")).contains("gpu");
            });
    assertThat((Object) at(gpu, "build", "args", "MAVEN_PROFILES")).isEqualTo("cuda");
    assertThat(compose.environment("graft-worker-gpu")).containsEntry("GRAFT_ROLES", "worker");
    for (String other : List.of("graft-api", "graft-worker")) {
      assertThat(compose.service(other)).doesNotContainKey("profiles");
    }
  }
}
