package dev.graft.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The image's recipe, checked without a Docker engine (none exists where the tests run): the
 * stages, the order that keeps the dependency layer cached, Spring Boot's layered extraction, the
 * non-root user, the volume and the health check. GraftTopologyTests then runs the packaged jar
 * extracted and launched exactly as this file says.
 */
class DockerfileTests {

  @Test
  void shouldBuildWithTheWrapperAndCacheTheDependenciesBeforeTheSources() throws Exception {
    Dockerfile.Stage build = Dockerfile.load().stage("build");
    assertThat(build.from()).isEqualTo("${JDK_IMAGE}");
    int pom = build.indexOf("COPY", "pom.xml");
    int mvn = build.indexOf("COPY", ".mvn");
    int offline = build.indexOf("RUN", "./mvnw");
    int sources = build.indexOf("COPY", "src/main");
    int pack = build.indexOf("RUN", "package");
    assertThat(List.of(pom, mvn, offline, sources, pack)).doesNotContain(-1);
    assertThat(build.instructions().get(offline).args()).contains("dependency:go-offline");
    assertThat(pom).isLessThan(offline);
    assertThat(mvn).isLessThan(offline);
    assertThat(offline).isLessThan(sources);
    assertThat(sources).isLessThan(pack);
    String packaging = build.instructions().get(pack).args();
    assertThat(packaging)
        .contains("./mvnw")
        .contains("${MAVEN_PROFILES:+-P${MAVEN_PROFILES}}")
        .contains("-Djarmode=tools")
        .contains("extract --layers --launcher --destination /extracted");
    assertThat(build.all("ARG")).contains("MAVEN_PROFILES=");
  }

  @Test
  void shouldCopyEveryBootLayerLeastChangingFirst() throws Exception {
    // Boot's default layers, in the order layers.idx lists them; GraftTopologyTests checks the
    // packaged jar's own layers.idx against the same list.
    assertThat(Dockerfile.load().copiedLayers())
        .containsExactly(
            "dependencies", "spring-boot-loader", "snapshot-dependencies", "application");
  }

  @Test
  void shouldRunAsANonRootUserWithDataOnAVolumeAndTheEmbeddedDatabaseOff() throws Exception {
    Dockerfile file = Dockerfile.load();
    Dockerfile.Stage runtime = file.runtime();
    assertThat(runtime.from()).isEqualTo("${RUNTIME_BASE}");
    assertThat(file.globalArgs()).anyMatch(a -> a.startsWith("RUNTIME_BASE="));
    assertThat(runtime.all("USER")).containsExactly("10001:10001");
    assertThat(runtime.all("VOLUME")).containsExactly("/data");
    Map<String, String> env = runtime.env();
    assertThat(env)
        .containsEntry("GRAFT_EMBEDDEDDATABASE", "false")
        .containsEntry("GRAFT_DATADIR", "/data")
        .containsEntry("DJL_CACHE_DIR", "/data/.djl");
    assertThat(GraftSettings.unbound(env.keySet())).isEmpty();
    assertThat(runtime.indexOf("RUN", "chown 10001:10001 /data"))
        .isGreaterThanOrEqualTo(0)
        .isLessThan(runtime.indexOf("USER", "10001"));
    assertThat(runtime.all("EXPOSE")).containsExactly("8080");
  }

  @Test
  void shouldStartTheExtractedLauncherWithContainerAwareFlags() throws Exception {
    List<String> entrypoint = Dockerfile.load().runtime().entrypoint();
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint)
        .contains("-XX:MaxRAMPercentage=50.0")
        .doesNotContain("-XX:+ExitOnOutOfMemoryError")
        .endsWith("-cp", "/app", "org.springframework.boot.loader.launch.JarLauncher");
  }

  @Test
  void shouldCheckHealthOnTheActuatorsReadinessGroup() throws Exception {
    Dockerfile.Stage runtime = Dockerfile.load().runtime();
    assertThat(runtime.all("HEALTHCHECK"))
        .singleElement()
        .asString()
        .contains("CMD [\"graft-healthcheck\"]");
    assertThat(runtime.all("COPY"))
        .contains("docker/healthcheck.sh /usr/local/bin/graft-healthcheck");
    String script = Files.readString(DeploymentFiles.root().resolve("docker/healthcheck.sh"));
    assertThat(script).contains("GET /actuator/health/readiness").contains("\"status\":\"UP\"");
    assertThat(Files.isExecutable(DeploymentFiles.root().resolve("docker/healthcheck.sh")))
        .isTrue();
  }

  @Test
  void shouldSendTheBuildOnlyWhatItCopies() throws Exception {
    List<String> ignore =
        Files.readAllLines(DeploymentFiles.root().resolve(".dockerignore")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(ignore.get(0)).isEqualTo("*");
    assertThat(ignore).contains("!mvnw", "!.mvn/", "!pom.xml", "!src/main/", "!docker/");
  }

  @Test
  void shouldBuildTheCudaVariantFromTheSameFileWithTheCudaProfile() throws Exception {
    ComposeFile compose = ComposeFile.load();
    Map<String, Object> args =
        DeploymentFiles.at(compose.service("graft-worker-gpu"), "build", "args");
    assertThat(args).containsEntry("MAVEN_PROFILES", "cuda");
    assertThat(String.valueOf(args.get("RUNTIME_BASE"))).startsWith("nvidia/cuda:12.4");
    assertThat(Files.readString(DeploymentFiles.root().resolve("pom.xml")))
        .contains("<pytorch.flavor>cu124</pytorch.flavor>");
  }
}
