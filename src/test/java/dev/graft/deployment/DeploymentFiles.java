package dev.graft.deployment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** Where the deployment files are, and the YAML reading the tests share. */
final class DeploymentFiles {

  /**
   * Variables a Graft container may carry that are not Spring settings, with what reads them.
   * Anything else must bind to one of Graft's or Spring's settings.
   */
  static final Map<String, String> NON_SETTING_VARIABLES =
      Map.of(
          "JAVA_TOOL_OPTIONS", "the JVM",
          "DJL_CACHE_DIR", "DJL: where it extracts the native PyTorch library",
          "LANG", "the C library and the JVM's default charset",
          "JAVA_HOME", "the image's JRE",
          "PATH", "the shell",
          "NVIDIA_VISIBLE_DEVICES", "the NVIDIA container toolkit",
          "NVIDIA_DRIVER_CAPABILITIES", "the NVIDIA container toolkit");

  /** The variables whose values are secrets: never inlined in a manifest. */
  static final Set<String> SECRET_VARIABLES =
      Set.of(
          "SPRING_DATASOURCE_PASSWORD",
          "GRAFT_STORAGE_S3_ACCESSKEY",
          "GRAFT_STORAGE_S3_SECRETKEY",
          "GRAFT_SECURITY_BOOTSTRAPTOKEN");

  private DeploymentFiles() {}

  /** The repository's root (the tests run from it). */
  static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("pom.xml"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("no pom.xml above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static Path chart() {
    return root().resolve("helm/graft");
  }

  static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(100);
    return new Yaml(options);
  }

  /** Every document of a multi-document YAML text, skipping empty ones. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> documents(String text) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object d : yaml().loadAll(text)) {
      if (d instanceof Map<?, ?> m) {
        docs.add((Map<String, Object>) m);
      }
    }
    return docs;
  }

  /** A path of keys into nested maps, or null. */
  @SuppressWarnings("unchecked")
  static <T> T at(Object node, String... keys) {
    Object n = node;
    for (String k : keys) {
      if (!(n instanceof Map<?, ?> m)) {
        return null;
      }
      n = m.get(k);
    }
    return (T) n;
  }
}
