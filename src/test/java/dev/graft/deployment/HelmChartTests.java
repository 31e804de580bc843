package dev.graft.deployment;

import static dev.graft.deployment.DeploymentFiles.at;
import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Helm chart, linted and rendered by Helm's own Go library (helm-java: no helm binary), for the
 * default values, GPU workers and secrets that exist outside the chart; the rendered manifests are
 * parsed and held to what Graft needs: probes on real actuator groups, every variable a real
 * setting, secrets by reference only, a non-root read-only container with writable work folders.
 */
class HelmChartTests {

  private static final String DEFAULTS = "";
  private static final String GPU = "ci/gpu-values.yaml";
  private static final String EXISTING_SECRETS = "ci/existing-secrets-values.yaml";

  @TempDir Path temp;

  @ParameterizedTest
  @ValueSource(strings = {DEFAULTS, GPU, EXISTING_SECRETS})
  void shouldLintStrictlyWithEachValuesFile(String valuesFile) throws IOException {
    // helm-java's lint reads the chart's own values.yaml: lint a copy whose values.yaml is the
    // defaults with the values file laid over them, as `helm lint -f` would.
    Path chart = DeploymentFiles.chart();
    if (!valuesFile.isEmpty()) {
      chart = copyWithValues(valuesFile);
    }
    LintResult lint = new Helm(chart).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {DEFAULTS, GPU, EXISTING_SECRETS})
  void shouldProbeTheActuatorHealthGroupsOnANamedPort(String valuesFile) {
    for (Map<String, Object> container : containers(render(valuesFile))) {
      assertThat((Object) at(container, "livenessProbe", "httpGet", "path"))
          .isEqualTo("/actuator/health/liveness");
      assertThat((Object) at(container, "readinessProbe", "httpGet", "path"))
          .isEqualTo("/actuator/health/readiness");
      assertThat((Object) at(container, "startupProbe", "httpGet", "path"))
          .isEqualTo("/actuator/health/liveness");
      List<Map<String, Object>> ports = at(container, "ports");
      assertThat(ports).extracting(p -> p.get("name")).contains("http");
      assertThat((Object) at(container, "livenessProbe", "httpGet", "port")).isEqualTo("http");
    }
  }

  @Test
  void shouldExposeOnlyHealthGroupsThatTheApplicationDefines() throws IOException {
    // The readiness group's members are Graft's own: application.properties defines it, and
    // probes.enabled gives /actuator/health/liveness and /readiness.
    String properties =
        Files.readString(
            DeploymentFiles.root().resolve("src/main/resources/application.properties"));
    assertThat(properties)
        .contains("management.endpoint.health.probes.enabled=true")
        .contains("management.endpoint.health.group.readiness.include=");
  }

  @ParameterizedTest
  @ValueSource(strings = {DEFAULTS, GPU, EXISTING_SECRETS})
  void shouldSetOnlyVariablesThatBindToARealSetting(String valuesFile) {
    List<Map<String, Object>> docs = render(valuesFile);
    Map<String, String> variables = new LinkedHashMap<>();
    for (Map<String, Object> c : containers(docs)) {
      List<Map<String, Object>> env = at(c, "env");
      for (Map<String, Object> e : env) {
        variables.put((String) e.get("name"), String.valueOf(e.get("value")));
      }
      List<Map<String, Object>> envFrom = at(c, "envFrom");
      for (Map<String, Object> from : envFrom) {
        String name = at(from, "configMapRef", "name");
        Map<String, Object> data = at(only(docs, "ConfigMap", name), "data");
        data.forEach((k, v) -> variables.put(k, String.valueOf(v)));
      }
    }
    assertThat(variables).containsKeys("GRAFT_ROLES", "SPRING_DATASOURCE_URL");
    assertThat(GraftSettings.unbound(variables.keySet()))
        .as("variables binding to no setting")
        .isEmpty();
    assertThat(variables).containsEntry("GRAFT_EMBEDDEDDATABASE", "false");
  }

  @Test
  void shouldFailTheCheckForAMisspelledVariable() {
    assertThat(
            GraftSettings.unbound(
                Set.of("GRAFT_STORAGE_S3_ACESSKEY", "SPRING_DATASOURCE_URLL", "GRAFT_ROLE")))
        .containsExactlyInAnyOrder(
            "GRAFT_STORAGE_S3_ACESSKEY", "SPRING_DATASOURCE_URLL", "GRAFT_ROLE");
    assertThat(GraftSettings.boundBy("GRAFT_STORAGE_S3_ACCESSKEY"))
        .hasValue("graft.storage.s3.access-key");
    assertThat(GraftSettings.boundBy("GRAFT_WORKER_POLLINTERVAL"))
        .hasValue("graft.worker.poll-interval");
    assertThat(GraftSettings.boundBy("GRAFT_ROLES_0")).hasValue("graft.roles");
    assertThat(GraftSettings.boundBy("SPRING_DATASOURCE_URL")).hasValue("spring.datasource.url");
  }

  @ParameterizedTest
  @ValueSource(strings = {DEFAULTS, GPU, EXISTING_SECRETS})
  void shouldReferenceSecretsAndNeverInlineThem(String valuesFile) {
    List<Map<String, Object>> docs = render(valuesFile);
    for (Map<String, Object> c : containers(docs)) {
      List<Map<String, Object>> env = at(c, "env");
      for (Map<String, Object> e : env) {
        if (DeploymentFiles.SECRET_VARIABLES.contains(e.get("name"))) {
          assertThat(e).as("%s", e.get("name")).doesNotContainKey("value");
          assertThat((String) at(e, "valueFrom", "secretKeyRef", "name")).isNotBlank();
          assertThat((String) at(e, "valueFrom", "secretKeyRef", "key")).isNotBlank();
        }
      }
      assertThat(env).extracting(e -> e.get("name")).contains("SPRING_DATASOURCE_PASSWORD");
      if (!valuesFile.equals(DEFAULTS)) {
        assertThat(env).extracting(e -> e.get("name")).contains("GRAFT_SECURITY_BOOTSTRAPTOKEN");
      }
    }
    for (Map<String, Object> cm : ofKind(docs, "ConfigMap")) {
      Map<String, Object> data = at(cm, "data");
      assertThat(data.keySet()).doesNotContainAnyElementsOf(DeploymentFiles.SECRET_VARIABLES);
      for (Object v : data.values()) {
        assertThat(String.valueOf(v)).doesNotContain("values-db-password", "values-secret-key");
      }
    }
  }

  @Test
  void shouldTakeEverySecretFromTheExistingSecretsWhenGiven() {
    List<Map<String, Object>> docs = render(EXISTING_SECRETS);
    assertThat(ofKind(docs, "Secret")).as("the chart makes no Secret of its own").isEmpty();
    Map<String, String> refs = new LinkedHashMap<>();
    for (Map<String, Object> c : containers(docs)) {
      List<Map<String, Object>> env = at(c, "env");
      for (Map<String, Object> e : env) {
        Map<String, Object> ref = at(e, "valueFrom", "secretKeyRef");
        if (ref != null) {
          refs.put((String) e.get("name"), ref.get("name") + "/" + ref.get("key"));
        }
      }
    }
    assertThat(refs)
        .containsEntry("SPRING_DATASOURCE_PASSWORD", "graft-db/pg-password")
        .containsEntry("GRAFT_STORAGE_S3_ACCESSKEY", "graft-s3/AWS_ACCESS_KEY_ID")
        .containsEntry("GRAFT_STORAGE_S3_SECRETKEY", "graft-s3/AWS_SECRET_ACCESS_KEY")
        .containsEntry("GRAFT_SECURITY_BOOTSTRAPTOKEN", "graft-bootstrap/token");
  }

  @Test
  void shouldKeepTheChartsOwnSecretsInItsSecretAndReferToThem() {
    List<Map<String, Object>> docs = render(GPU);
    Map<String, Object> secret = ofKind(docs, "Secret").get(0);
    String name = at(secret, "metadata", "name");
    Map<String, Object> data = at(secret, "data");
    assertThat(data)
        .containsKeys("database-password", "s3-access-key", "s3-secret-key", "bootstrap-token");
    for (Map<String, Object> c : containers(docs)) {
      List<Map<String, Object>> env = at(c, "env");
      for (Map<String, Object> e : env) {
        Map<String, Object> ref = at(e, "valueFrom", "secretKeyRef");
        if (ref != null) {
          assertThat(ref.get("name")).isEqualTo(name);
          assertThat(data).containsKey((String) ref.get("key"));
        }
      }
    }
  }

  @Test
  void shouldGiveGpuWorkersAGpuTheCudaImageAndTheirNodes() {
    List<Map<String, Object>> docs = render(GPU);
    Map<String, Object> worker = deployment(docs, "worker");
    Map<String, Object> container = containers(List.of(worker)).get(0);
    assertThat((Object) at(container, "resources", "limits", "nvidia.com/gpu").toString())
        .isEqualTo("1");
    assertThat((String) at(container, "image")).isEqualTo("registry.example.com/graft:0.1.0-cuda");
    assertThat((Object) at(worker, "spec", "replicas")).isEqualTo(3);
    assertThat((Map<String, Object>) at(worker, "spec", "template", "spec", "nodeSelector"))
        .containsEntry("nvidia.com/gpu.present", "true");
    List<Map<String, Object>> tolerations = at(worker, "spec", "template", "spec", "tolerations");
    assertThat(tolerations).extracting(t -> t.get("key")).contains("nvidia.com/gpu");
    Map<String, Object> api = deployment(docs, "api");
    Map<String, Object> apiContainer = containers(List.of(api)).get(0);
    assertThat((Map<String, Object>) at(apiContainer, "resources", "limits"))
        .doesNotContainKey("nvidia.com/gpu");
    assertThat((String) at(apiContainer, "image")).isEqualTo("registry.example.com/graft:0.1.0");
    assertThat(ofKind(docs, "HorizontalPodAutoscaler")).hasSize(1);
    assertThat(ofKind(docs, "Ingress")).hasSize(1);
    assertThat((Object) at(api, "spec", "replicas")).as("the HPA owns the API's replicas").isNull();
  }

  @Test
  void shouldRenderTheDefaultObjectsAndRunNonRootOnAReadOnlyRootWithWritableWorkFolders() {
    List<Map<String, Object>> docs = render(DEFAULTS);
    Set<String> kinds = new TreeSet<>();
    docs.forEach(d -> kinds.add((String) d.get("kind")));
    assertThat(kinds)
        .containsExactlyInAnyOrder(
            "ConfigMap",
            "Deployment",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "ServiceAccount");
    assertThat(ofKind(docs, "Deployment")).hasSize(2);
    assertThat(ofKind(docs, "PodDisruptionBudget")).hasSize(2);
    for (Map<String, Object> d : ofKind(docs, "Deployment")) {
      Map<String, Object> pod = at(d, "spec", "template", "spec");
      assertThat((Object) at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
      assertThat((Object) at(pod, "terminationGracePeriodSeconds")).isEqualTo(60);
      Map<String, Object> c = containers(List.of(d)).get(0);
      assertThat((Object) at(c, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
      assertThat((Object) at(c, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
      List<Map<String, Object>> mounts = at(c, "volumeMounts");
      assertThat(mounts).extracting(m -> m.get("mountPath")).contains("/data", "/tmp");
      List<Map<String, Object>> volumes = at(pod, "volumes");
      for (Map<String, Object> v : volumes) {
        assertThat(v).containsKey("emptyDir");
      }
    }
    Map<String, Object> service = ofKind(docs, "Service").get(0);
    assertThat((Map<String, Object>) at(service, "spec", "selector"))
        .containsEntry("app.kubernetes.io/component", "api");
  }

  @Test
  void shouldPointDataDirAtTheWritableVolume() {
    Map<String, Object> cm = ofKind(render(DEFAULTS), "ConfigMap").get(0);
    assertThat((Map<String, Object>) at(cm, "data"))
        .containsEntry("GRAFT_DATADIR", "/data")
        .containsEntry("DJL_CACHE_DIR", "/data/.djl");
  }

  // ---------------------------------------------------------------------------------------------

  private List<Map<String, Object>> render(String valuesFile) {
    var template = new Helm(DeploymentFiles.chart()).template().withName("graft");
    if (!valuesFile.isEmpty()) {
      template = template.withValuesFile(DeploymentFiles.chart().resolve(valuesFile));
    }
    return DeploymentFiles.documents(template.call());
  }

  private static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  private static Map<String, Object> only(
      List<Map<String, Object>> docs, String kind, String name) {
    return ofKind(docs, kind).stream()
        .filter(d -> name.equals(at(d, "metadata", "name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  private static Map<String, Object> deployment(List<Map<String, Object>> docs, String component) {
    return ofKind(docs, "Deployment").stream()
        .filter(
            d ->
                component.equals(
                    at(d, "spec", "template", "metadata", "labels", "app.kubernetes.io/component")))
        .findFirst()
        .orElseThrow();
  }

  private static List<Map<String, Object>> containers(List<Map<String, Object>> docs) {
    List<Map<String, Object>> containers = new ArrayList<>();
    for (Map<String, Object> d : ofKind(docs, "Deployment")) {
      List<Map<String, Object>> cs = at(d, "spec", "template", "spec", "containers");
      containers.addAll(cs);
    }
    assertThat(containers).isNotEmpty();
    return containers;
  }

  /** A copy of the chart whose values.yaml is the defaults with {@code valuesFile} laid over. */
  @SuppressWarnings("unchecked")
  private Path copyWithValues(String valuesFile) throws IOException {
    Path source = DeploymentFiles.chart();
    Path copy = temp.resolve("graft");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = copy.resolve(source.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    Map<String, Object> values =
        DeploymentFiles.yaml().load(Files.readString(source.resolve("values.yaml")));
    Map<String, Object> over =
        DeploymentFiles.yaml().load(Files.readString(source.resolve(valuesFile)));
    merge(values, over);
    Files.writeString(copy.resolve("values.yaml"), DeploymentFiles.yaml().dump(values));
    return copy;
  }

  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> into, Map<String, Object> over) {
    over.forEach(
        (k, v) -> {
          if (v instanceof Map<?, ?> m && into.get(k) instanceof Map<?, ?> existing) {
            merge((Map<String, Object>) existing, (Map<String, Object>) m);
          } else {
            into.put(k, v);
          }
        });
  }
}
