package dev.graft.deployment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docker-compose.yml} as Compose reads it: YAML with anchors and merge keys, then {@code
 * ${VAR}}, {@code ${VAR:-default}} and {@code ${VAR:?error}} taken from an {@code .env} file, and
 * {@code $$} for a literal dollar.
 */
final class ComposeFile {

  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");

  private final String raw;
  private final Map<String, Object> model;

  private ComposeFile(String raw, Map<String, String> env) {
    this.raw = raw;
    this.model = DeploymentFiles.yaml().load(interpolate(raw, env));
  }

  /** The repository's compose file, interpolated from its {@code .env.example}. */
  static ComposeFile load() throws IOException {
    Path root = DeploymentFiles.root();
    return new ComposeFile(
        Files.readString(root.resolve("docker-compose.yml")),
        envFile(root.resolve(".env.example")));
  }

  /** The repository's compose file, interpolated from {@code env} (an edited {@code .env}). */
  static ComposeFile load(Map<String, String> env) throws IOException {
    return new ComposeFile(
        Files.readString(DeploymentFiles.root().resolve("docker-compose.yml")), env);
  }

  /** The raw text, before interpolation. */
  String raw() {
    return raw;
  }

  Map<String, Object> service(String name) {
    Map<String, Object> s = DeploymentFiles.at(model, "services", name);
    if (s == null) {
      throw new AssertionError("docker-compose.yml has no service " + name);
    }
    return s;
  }

  Map<String, Object> services() {
    return DeploymentFiles.at(model, "services");
  }

  /** A service's environment, values as strings. */
  Map<String, String> environment(String service) {
    Map<String, String> env = new LinkedHashMap<>();
    Object e = service(service).get("environment");
    if (e instanceof Map<?, ?> m) {
      m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
    } else if (e instanceof Iterable<?> list) {
      for (Object item : list) {
        String s = String.valueOf(item);
        int eq = s.indexOf('=');
        env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
      }
    }
    return env;
  }

  /** KEY=VALUE lines; # comments and blank lines skipped. */
  static Map<String, String> envFile(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      int eq = l.indexOf('=');
      if (eq > 0) {
        env.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
      }
    }
    return env;
  }

  /** The variables the compose file reads from the environment, with whether each has a default. */
  Map<String, Boolean> variables() {
    Map<String, Boolean> vars = new LinkedHashMap<>();
    Matcher m = VARIABLE.matcher(raw);
    while (m.find()) {
      if (m.group(1) != null) {
        vars.merge(m.group(1), "-".equals(last(m.group(2))), (a, b) -> a && b);
      }
    }
    return vars;
  }

  private static String last(String op) {
    return op == null ? null : op.substring(op.length() - 1);
  }

  static String interpolate(String text, Map<String, String> env) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group(1) == null) {
        replacement = "$";
      } else {
        String name = m.group(1);
        String op = m.group(2);
        String arg = m.group(3);
        String value = env.get(name);
        boolean unsetOrEmpty =
            value == null || (op != null && op.startsWith(":") && value.isEmpty());
        if (op == null) {
          replacement = value == null ? "" : value;
        } else if (op.endsWith("-")) {
          replacement = unsetOrEmpty ? arg : value;
        } else {
          if (unsetOrEmpty) {
            throw new IllegalArgumentException("compose needs " + name + ": " + arg);
          }
          replacement = value;
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
