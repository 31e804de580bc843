package dev.graft.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The module tree of the checkpoint and architecture pages, checked against the tensors the API
 * lists: every module drawn counts exactly the elements and tensors whose keys lie under it, every
 * module where keys branch is drawn, and every tensor is a leaf of its module.
 */
class ConsoleModuleTreeTests extends IntegrationTest {

  private static final Pattern MODULE =
      Pattern.compile(
          // The model's own node has no data-path (Thymeleaf leaves out an empty attribute).
          "<li class=\"module\"(?: data-path=\"([^\"]*)\")? data-numel=\"(\\d+)\""
              + " data-tensors=\"(\\d+)\">");
  private static final Pattern LEAF =
      Pattern.compile("<li class=\"tensor\" data-key=\"([^\"]*)\" data-numel=\"(\\d+)\">");

  /** Expected totals per module path: elements and tensors of every key under it. */
  private static Map<String, long[]> expected(Map<String, Long> numelByKey) {
    Map<String, long[]> out = new HashMap<>();
    for (Map.Entry<String, Long> t : numelByKey.entrySet()) {
      String key = t.getKey();
      add(out, "", t.getValue());
      for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
        add(out, key.substring(0, dot), t.getValue());
      }
    }
    return out;
  }

  private static void add(Map<String, long[]> out, String path, long numel) {
    long[] t = out.computeIfAbsent(path, p -> new long[2]);
    t[0] += numel;
    t[1]++;
  }

  /** Module paths where the tree branches or holds tensors of its own: those must be drawn. */
  private static Set<String> branching(Set<String> keys) {
    Map<String, Set<String>> below = new HashMap<>();
    for (String key : keys) {
      String parent = "";
      for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
        String path = key.substring(0, dot);
        below.computeIfAbsent(parent, p -> new LinkedHashSet<>()).add("m:" + path);
        parent = path;
      }
      below.computeIfAbsent(parent, p -> new LinkedHashSet<>()).add("t:" + key);
    }
    Set<String> out = new LinkedHashSet<>();
    below.forEach(
        (path, items) -> {
          if (items.size() > 1 || items.stream().anyMatch(i -> i.startsWith("t:"))) {
            out.add(path);
          }
        });
    return out;
  }

  private void checkTree(String html, Map<String, Long> numelByKey) {
    Map<String, long[]> expected = expected(numelByKey);
    Map<String, long[]> drawn = new LinkedHashMap<>();
    Matcher m = MODULE.matcher(html);
    while (m.find()) {
      drawn.put(
          m.group(1) == null ? "" : m.group(1).replace("&#39;", "'"),
          new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
    }
    assertThat(drawn).containsKey("");
    assertThat(drawn.get("")[0])
        .isEqualTo(numelByKey.values().stream().mapToLong(Long::longValue).sum());
    assertThat(drawn.get("")[1]).isEqualTo(numelByKey.size());
    drawn.forEach(
        (path, t) -> {
          assertThat(expected).as("module '%s' is a prefix of some key", path).containsKey(path);
          assertThat(t)
              .as("elements and tensors under '%s'", path)
              .containsExactly(expected.get(path));
        });
    assertThat(drawn.keySet()).containsAll(branching(numelByKey.keySet()));

    Map<String, Long> leaves = new LinkedHashMap<>();
    Matcher l = LEAF.matcher(html);
    while (l.find()) {
      leaves.put(l.group(1), Long.parseLong(l.group(2)));
    }
    assertThat(leaves).isEqualTo(numelByKey);
    // Each module is a <details> whose <summary> a keyboard reaches and toggles.
    assertThat(count(html, "<details")).isEqualTo(drawn.size());
    assertThat(count(html, "<summary>")).isGreaterThanOrEqualTo(drawn.size());
  }

  private static int count(String html, String what) {
    int n = 0;
    for (int i = html.indexOf(what); i >= 0; i = html.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private Map<String, Long> listed(String path) throws Exception {
    Map<String, Long> out = new LinkedHashMap<>();
    JsonNode page = json(get(path + "?size=1000"));
    assertThat(page.path("total").asLong()).isLessThanOrEqualTo(1000);
    List<JsonNode> items = new ArrayList<>();
    page.path("items").forEach(items::add);
    for (JsonNode t : items) {
      out.put(t.path("key").asString(), t.path("numel").asLong());
    }
    return out;
  }

  @Test
  void shouldCountEachModulesElementsOverItsSubtreeOnTheCheckpointPage() throws Exception {
    ConsoleClient person = new ConsoleClient(this::uri).signIn(ADMIN_TOKEN);
    // A torch-made ResNet-18, and keys that are both a tensor and a module ('fc1', 'fc1.weight').
    for (String fixture :
        List.of("resnet18_into_resnet34_current.ckpt.pt", "ignored_key_shapes.ckpt.pt")) {
      String id =
          json(postFile("/api/v1/checkpoints?name=tree", resource(ORACLE + fixture)))
              .get("id")
              .asString();
      Map<String, Long> tensors = listed("/api/v1/checkpoints/" + id + "/tensors");
      assertThat(tensors).isNotEmpty();
      String html = person.get("/console/checkpoints/" + id).body();
      checkTree(html, tensors);
    }
  }

  @Test
  void shouldCountEachModulesElementsOverItsSubtreeOnTheArchitecturePage() throws Exception {
    ConsoleClient person = new ConsoleClient(this::uri).signIn(ADMIN_TOKEN);
    String id =
        json(postFile(
                "/api/v1/architectures?name=tree",
                resource(ORACLE + "resnet18_into_resnet34_current.target.pt")))
            .get("id")
            .asString();
    Map<String, Long> entries = listed("/api/v1/architectures/" + id + "/entries");
    assertThat(entries).hasSizeGreaterThan(200);
    checkTree(person.get("/console/architectures/" + id).body(), entries);
  }
}
