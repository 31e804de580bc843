package dev.graft.console;

import static dev.graft.console.ConsoleClient.enc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The preview page's coverage gates and its comparison of two sets of options, checked against the
 * API's previews of the same options: the page shows what the preview service measured, and lists
 * exactly the target entries the two reports treat differently.
 */
class ConsolePreviewTests extends IntegrationTest {

  private static final Pattern GATE =
      Pattern.compile(
          "<tr class=\"gate\"(?: data-prefix=\"([^\"]*)\")? data-target-numel=\"(\\d+)\""
              + " data-loaded-numel=\"(\\d+)\" data-met=\"(true|false)\">");
  private static final Pattern CHANGE =
      Pattern.compile(
          "<tr class=\"change\" data-key=\"([^\"]+)\" data-before=\"([^\"]+)\""
              + " data-after=\"([^\"]+)\">");
  private static final Pattern BASELINE =
      Pattern.compile("<input type=\"hidden\" name=\"baseline\" value=\"([^\"]+)\">");
  private static final Pattern OUTCOME = Pattern.compile("class=\"outcome [a-z]+\">([A-Z]+)<");

  private String upload(String kind, String file) throws Exception {
    return json(postFile("/api/v1/" + kind + "?name=pv", resource(ORACLE + file)))
        .get("id")
        .asString();
  }

  private JsonNode apiPreview(String ckpt, String arch, String options) throws Exception {
    HttpResponse<String> r =
        postJson(
            "/api/v1/previews",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + arch
                + "\",\"options\":"
                + options
                + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r);
  }

  private static String unescape(String html) {
    return html.replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
  }

  @Test
  void shouldMeasureTheCoverageGatesAsTheApiDoes() throws Exception {
    String ckpt = upload("checkpoints", "resnet18_into_resnet34_current.ckpt.pt");
    String arch = upload("architectures", "resnet18_into_resnet34_current.target.pt");
    ConsoleClient person = new ConsoleClient(this::uri).signIn(ADMIN_TOKEN);
    String csrf = ConsoleClient.csrf(person.get("/console/preview").body());
    String form =
        "checkpoint="
            + ckpt
            + "&architecture="
            + arch
            + "&_strict=on&onShapeMismatch=FAIL&dtype=TARGET&rules=&freeze=&_csrf="
            + csrf
            + "&require=";
    HttpResponse<String> page =
        person.postForm("/console/preview", form + enc("conv1. 1\nlayer1. 100%\n50%"));
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);

    JsonNode api =
        apiPreview(
            ckpt,
            arch,
            "{\"strict\":false,\"require\":[{\"prefix\":\"conv1.\",\"minLoadedFraction\":1},"
                + "{\"prefix\":\"layer1.\",\"minLoadedFraction\":1},"
                + "{\"prefix\":\"\",\"minLoadedFraction\":0.5}]}");
    Map<String, String> expected = new LinkedHashMap<>();
    api.path("coverage")
        .forEach(
            g ->
                expected.put(
                    g.path("prefix").asString(),
                    g.path("targetNumel").asLong()
                        + "/"
                        + g.path("loadedNumel").asLong()
                        + "/"
                        + g.path("met").asBoolean()));
    Map<String, String> shown = new LinkedHashMap<>();
    Matcher m = GATE.matcher(page.body());
    while (m.find()) {
      shown.put(
          m.group(1) == null ? "" : m.group(1), m.group(2) + "/" + m.group(3) + "/" + m.group(4));
    }
    assertThat(shown).isEqualTo(expected).hasSize(3);
    // One gate holds and one does not (ResNet-34's layer1 has a third block ResNet-18 lacks), so
    // the plan fails whatever strict says, as the API says.
    assertThat(shown.values())
        .anyMatch(v -> v.endsWith("/true"))
        .anyMatch(v -> v.endsWith("/false"));
    assertThat(ConsoleClient.first(OUTCOME, page.body()))
        .isEqualTo(api.path("outcome").asString())
        .isEqualTo("FAILED");
    assertThat(page.body()).contains("not met");

    // A gate line that does not read as one names its line.
    HttpResponse<String> bad =
        person.postForm("/console/preview", form + enc("conv1. 1\nlayer1. most"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("require line 2").contains("most");
    // A share out of range is the API's own refusal of the gate.
    HttpResponse<String> range = person.postForm("/console/preview", form + enc("layer1. 150%"));
    assertThat(range.statusCode()).isEqualTo(422);
    assertThat(range.body()).contains("minLoadedFraction");
  }

  @Test
  void shouldListTheEntriesTwoSetsOfOptionsTreatDifferently() throws Exception {
    String ckpt = upload("checkpoints", "data_parallel_strip_rule.ckpt.pt");
    String arch = upload("architectures", "data_parallel_strip_rule.target.pt");
    ConsoleClient person = new ConsoleClient(this::uri).signIn(ADMIN_TOKEN);
    String base =
        "checkpoint="
            + ckpt
            + "&architecture="
            + arch
            + "&_strict=on&onShapeMismatch=FAIL&dtype=TARGET&require=";

    // Preview without rules, and pin those options.
    String csrf = ConsoleClient.csrf(person.get("/console/preview").body());
    HttpResponse<String> pinned =
        person.postForm("/console/preview", base + "&rules=&freeze=&compare=pin&_csrf=" + csrf);
    assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(200);
    String baseline = unescape(ConsoleClient.first(BASELINE, pinned.body()));
    assertThat(pinned.body()).contains("Compared with the pinned options");
    assertThat(pinned.body()).doesNotContain("<tr class=\"change\"");

    // Then preview with the suggested rule and a frozen entry, against the pinned options.
    HttpResponse<String> compared =
        person.postForm(
            "/console/preview",
            base
                + "&rules="
                + enc("stripPrefix module.")
                + "&freeze="
                + enc("fc1.*")
                + "&baseline="
                + enc(baseline)
                + "&_csrf="
                + ConsoleClient.csrf(pinned.body()));
    assertThat(compared.statusCode()).as(compared.body()).isEqualTo(200);

    JsonNode before = apiPreview(ckpt, arch, baseline);
    JsonNode after =
        apiPreview(
            ckpt,
            arch,
            "{\"strict\":false,\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"module.\"}],"
                + "\"freeze\":[\"fc1.*\"]}");
    Map<String, JsonNode> old = new HashMap<>();
    before.path("entries").forEach(e -> old.put(e.path("targetKey").asString(), e));
    Map<String, String> expected = new LinkedHashMap<>();
    for (JsonNode e : after.path("entries")) {
      JsonNode o = old.get(e.path("targetKey").asString());
      boolean differs = false;
      for (String field : new String[] {"status", "action", "sourceKey", "requiresGrad", "dtype"}) {
        differs |= !o.path(field).equals(e.path(field));
      }
      if (differs) {
        expected.put(e.path("targetKey").asString(), treatment(o) + " -> " + treatment(e));
      }
    }
    Map<String, String> shown = new LinkedHashMap<>();
    Matcher m = CHANGE.matcher(compared.body());
    while (m.find()) {
      shown.put(m.group(1), m.group(2) + " -> " + m.group(3));
    }
    assertThat(shown).isEqualTo(expected);
    assertThat(shown.get("fc1.weight")).startsWith("INITIALIZED/").contains(" -> LOADED/");
    assertThat(shown).hasSize(after.path("entries").size());
    assertThat(compared.body())
        .contains(
            "<span>"
                + after.path("entries").size()
                + "</span> target entries are treated differently");

    // Stop comparing: the comparison goes, the report stays.
    HttpResponse<String> stopped =
        person.postForm(
            "/console/preview",
            base
                + "&rules=&freeze=&compare=unpin&baseline="
                + enc(baseline)
                + "&_csrf="
                + ConsoleClient.csrf(compared.body()));
    assertThat(stopped.body())
        .doesNotContain("Compared with the pinned options")
        .contains("Report:");
  }

  private static String treatment(JsonNode e) {
    return e.path("status").asString() + "/" + action(e);
  }

  private static String action(JsonNode e) {
    return e.path("action").isNull() ? "none" : e.path("action").asString();
  }
}
