package dev.graft.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The console's registry pages over HTTP, against the API they share the rules with: a version edit
 * is conditional on the version as the page showed it (the API's {@code If-Match}).
 */
class ConsoleRegistryTests extends IntegrationTest {

  private static final Pattern ETAG_FIELD =
      Pattern.compile("<input type=\"hidden\" name=\"etag\" value=\"([^\"]+)\"");

  /** A model with one version, made by a real warm start; its name. */
  private String registeredModel() throws Exception {
    String model = "reg-" + UUID.randomUUID().toString().substring(0, 8);
    register(model, "identical_lenient");
    return model;
  }

  /** Runs a warm start of an oracle case into a model, to SUCCEEDED; the run's JSON. */
  private JsonNode register(String model, String oracleCase) throws Exception {
    String ckpt =
        json(postFile("/api/v1/checkpoints?name=reg", resource(ORACLE + oracleCase + ".ckpt.pt")))
            .get("id")
            .asString();
    String arch =
        json(postFile(
                "/api/v1/architectures?name=reg", resource(ORACLE + oracleCase + ".target.pt")))
            .get("id")
            .asString();
    String run =
        json(postJson(
                "/api/v1/warm-starts",
                "{\"checkpointId\":\""
                    + ckpt
                    + "\",\"architectureId\":\""
                    + arch
                    + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\""
                    + model
                    + "\",\"formats\":[\"safetensors\"]}}"))
            .get("id")
            .asString();
    JsonNode done = awaitRun(run);
    assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    return done;
  }

  private HttpResponse<String> patch(String path, String ifMatch, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .header("If-Match", ifMatch)
            .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldRefuseAStaleVersionEditInWordsAndKeepTheOtherChange() throws Exception {
    String model = registeredModel();
    String api = "/api/v1/models/" + model + "/versions/1";
    String page = "/console/models/" + model + "/versions/1";
    ConsoleClient person = new ConsoleClient(this::uri).signIn(ADMIN_TOKEN);

    // The page carries the same tag the API answers for the version.
    String opened = person.get(page).body();
    String etag = ConsoleClient.first(ETAG_FIELD, opened).replace("&quot;", "\"");
    HttpResponse<String> before = get(api);
    assertThat(before.headers().firstValue("ETag")).hasValue(etag);

    // Someone else edits the version through the API while the form is open.
    HttpResponse<String> elsewhere =
        patch(api, etag, "{\"description\": \"edited elsewhere\", \"tags\": {\"by\": \"api\"}}");
    assertThat(elsewhere.statusCode()).isEqualTo(200);

    // The stale form is refused with the API's status, in words, and saves nothing.
    HttpResponse<String> stale =
        person.postForm(
            page + "/edit",
            "description=mine&tags=stage%3Aprod&etag="
                + ConsoleClient.enc(etag)
                + "&_csrf="
                + ConsoleClient.csrf(opened));
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(stale.body())
        .contains("Someone changed it after this page was opened")
        .contains("nothing was saved")
        // What the person typed is kept on the page, and the page shows the version as it is now.
        .contains("stage:prod")
        .contains("edited elsewhere");
    assertThat(json(get(api)).path("description").asString()).isEqualTo("edited elsewhere");
    assertThat(json(get(api)).path("tags").path("by").asString()).isEqualTo("api");

    // The refusal page's form carries the new tag: saving from it applies.
    String fresh = ConsoleClient.first(ETAG_FIELD, stale.body()).replace("&quot;", "\"");
    assertThat(fresh).isNotEqualTo(etag).isEqualTo(get(api).headers().firstValue("ETag").get());
    HttpResponse<String> saved =
        person.postForm(
            page + "/edit",
            "description=mine&tags=stage%3Aprod&etag="
                + ConsoleClient.enc(fresh)
                + "&_csrf="
                + ConsoleClient.csrf(stale.body()));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(302);
    assertThat(json(get(api)).path("description").asString()).isEqualTo("mine");
    assertThat(json(get(api)).path("tags").path("stage").asString()).isEqualTo("prod");
    assertThat(json(get(api)).path("tags").has("by")).isFalse();

    // A form without the tag is refused rather than applied unconditionally.
    HttpResponse<String> untagged =
        person.postForm(
            page + "/edit",
            "description=blind&_csrf=" + ConsoleClient.csrf(person.get(page).body()));
    assertThat(untagged.statusCode()).isEqualTo(400);
    assertThat(json(get(api)).path("description").asString()).isEqualTo("mine");

    // The two edits applied are audited, the console's as the API's; the refused ones are not.
    long updates =
        json(get("/api/v1/audit?action=version.update&size=1000"))
            .path("items")
            .valueStream()
            .filter(e -> e.path("resourceId").asString().equals(model + "/1"))
            .count();
    assertThat(updates).isEqualTo(2);
  }

  @Test
  void shouldDrawTheLineageAsAGraphWithLinksAndTheLayoutChangeFromThePreviousVersion()
      throws Exception {
    String model = "lin-" + UUID.randomUUID().toString().substring(0, 8);
    register(model, "identical_lenient");
    register(model, "added_layer_lenient");
    JsonNode v2 = json(get("/api/v1/models/" + model + "/versions/2"));
    ConsoleClient person = new ConsoleClient(this::uri).signIn(ADMIN_TOKEN);
    String page = person.get("/console/models/" + model + "/versions/2").body();

    // A drawing with a name and a description, each box a link to what it stands for.
    assertThat(page)
        .contains("aria-labelledby=\"lineage-title\" aria-describedby=\"lineage-desc\"")
        .contains("<title id=\"lineage-title\">Lineage graph</title>");
    String desc =
        ConsoleClient.first(Pattern.compile("<desc id=\"lineage-desc\">([^<]+)</desc>"), page);
    assertThat(desc).contains(v2.path("runId").asString()).contains("Version 2 of " + model);
    Map<String, String> links = new HashMap<>();
    Matcher m = Pattern.compile("<a [^>]*class=\"node\"[^>]*>").matcher(page);
    while (m.find()) {
      links.put(
          ConsoleClient.first(Pattern.compile("data-kind=\"([a-z]+)\""), m.group()),
          ConsoleClient.first(Pattern.compile("href=\"([^\"]+)\""), m.group()));
    }
    assertThat(links).as(page.substring(page.indexOf("<svg"), page.indexOf("</svg>"))).hasSize(5);
    JsonNode lineage = v2.path("lineage");
    assertThat(links)
        .containsEntry(
            "checkpoint", "/console/checkpoints/" + lineage.path("checkpointId").asString())
        .containsEntry(
            "architecture", "/console/architectures/" + lineage.path("architectureId").asString())
        .containsEntry("run", "/console/runs/" + v2.path("runId").asString())
        .containsEntry("version", "/console/models/" + model + "/versions/2")
        .containsEntry("previous", "/console/models/" + model + "/versions/1");
    for (String href : links.values()) {
      assertThat(person.get(href).statusCode()).as(href).isEqualTo(200);
    }

    // The layout change from version 1 is the API's diff of the two.
    JsonNode diff =
        json(
            postJson(
                "/api/v1/diffs",
                "{\"left\":{\"model\":\""
                    + model
                    + "\",\"version\":1},\"right\":{\"model\":\""
                    + model
                    + "\",\"version\":2}}"));
    Matcher change =
        Pattern.compile(
                "class=\"layout-change\" data-added=\"(\\d+)\" data-removed=\"(\\d+)\""
                    + " data-shape-changed=\"(\\d+)\" data-dtype-changed=\"(\\d+)\"")
            .matcher(page);
    assertThat(change.find()).isTrue();
    assertThat(List.of(change.group(1), change.group(2), change.group(3), change.group(4)))
        .containsExactly(
            String.valueOf(diff.path("added").size()),
            String.valueOf(diff.path("removed").size()),
            String.valueOf(diff.path("shapeChanged").size()),
            String.valueOf(diff.path("dtypeChanged").size()));
    assertThat(diff.path("added").size()).isPositive();
    assertThat(desc).contains(diff.path("added").size() + " keys added");

    // The first version has nothing before it.
    String first = person.get("/console/models/" + model + "/versions/1").body();
    assertThat(first)
        .contains("lineage-desc")
        .doesNotContain("layout-change")
        .doesNotContain("data-kind=\"previous\"");
  }
}
