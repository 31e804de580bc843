package dev.graft.deployment;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.json.JsonMapper;

/**
 * The repository's {@code Dockerfile} read as the builder reads it: comments dropped, backslash
 * continuations joined, one instruction per line, grouped into stages by {@code FROM}. No Docker
 * engine exists where the tests run, so this is what checks the image's recipe.
 */
final class Dockerfile {

  /** One instruction: its keyword (upper case) and the rest of the line. */
  record Instruction(String keyword, String args) {}

  /** One stage: its {@code FROM} image, its name (or null), its instructions after FROM. */
  record Stage(String from, String name, List<Instruction> instructions) {

    List<String> all(String keyword) {
      return instructions.stream()
          .filter(i -> i.keyword().equals(keyword))
          .map(Instruction::args)
          .toList();
    }

    int indexOf(String keyword, String containing) {
      for (int i = 0; i < instructions.size(); i++) {
        Instruction in = instructions.get(i);
        if (in.keyword().equals(keyword) && in.args().contains(containing)) {
          return i;
        }
      }
      return -1;
    }

    /** The stage's ENV instructions, as the variables they set. */
    Map<String, String> env() {
      Map<String, String> env = new LinkedHashMap<>();
      Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");
      for (String args : all("ENV")) {
        Matcher m = pair.matcher(args);
        while (m.find()) {
          String v = m.group(2);
          env.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
        }
      }
      return env;
    }

    /** The exec-form ENTRYPOINT's words. */
    List<String> entrypoint() {
      List<String> e = all("ENTRYPOINT");
      if (e.size() != 1) {
        throw new AssertionError("expected one ENTRYPOINT, found " + e);
      }
      String[] words = JsonMapper.builder().build().readValue(e.get(0), String[].class);
      return List.of(words);
    }
  }

  private final List<String> globalArgs;
  private final List<Stage> stages;

  private Dockerfile(List<String> globalArgs, List<Stage> stages) {
    this.globalArgs = globalArgs;
    this.stages = stages;
  }

  static Dockerfile load() throws IOException {
    return parse(Files.readString(DeploymentFiles.root().resolve("Dockerfile")));
  }

  static Dockerfile parse(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.length() == 0)) {
        continue; // comments (also inside continuations, as the builder allows) and blank lines
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      if (current.length() > 0) {
        lines.add(current.toString().strip());
      }
      current.setLength(0);
    }
    List<String> globalArgs = new ArrayList<>();
    List<Stage> stages = new ArrayList<>();
    List<Instruction> instructions = null;
    Pattern from =
        Pattern.compile("(?i)FROM\\s+(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+AS\\s+(\\S+))?");
    for (String line : lines) {
      int space = line.indexOf(' ');
      String keyword = (space < 0 ? line : line.substring(0, space)).toUpperCase();
      String args = space < 0 ? "" : line.substring(space + 1).strip();
      if (keyword.equals("FROM")) {
        Matcher m = from.matcher(line);
        if (!m.matches()) {
          throw new IllegalArgumentException("unreadable FROM: " + line);
        }
        instructions = new ArrayList<>();
        stages.add(new Stage(m.group(1), m.group(2), instructions));
      } else if (instructions == null) {
        if (!keyword.equals("ARG")) {
          throw new IllegalArgumentException("only ARG may come before the first FROM: " + line);
        }
        globalArgs.add(args);
      } else {
        instructions.add(new Instruction(keyword, args));
      }
    }
    return new Dockerfile(globalArgs, stages);
  }

  List<String> globalArgs() {
    return globalArgs;
  }

  List<Stage> stages() {
    return stages;
  }

  Stage stage(String name) {
    return stages.stream()
        .filter(s -> name.equals(s.name()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no stage " + name));
  }

  /** The last stage: the image that runs. */
  Stage runtime() {
    return stages.get(stages.size() - 1);
  }

  /**
   * The Spring Boot layers the runtime stage copies from the build stage's extraction, in order.
   */
  List<String> copiedLayers() {
    List<String> layers = new ArrayList<>();
    Pattern copy = Pattern.compile("--from=build\\s+/extracted/([^/\\s]+)/\\s+\\./?");
    for (String args : runtime().all("COPY")) {
      Matcher m = copy.matcher(args);
      if (m.find()) {
        layers.add(m.group(1));
      }
    }
    return layers;
  }
}
