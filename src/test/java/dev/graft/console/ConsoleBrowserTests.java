package dev.graft.console;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.registry.RegistryService;
import dev.graft.registry.TestVersions;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * The console in a real browser (Debian's chromium, headless) against the real server: what a
 * person does, click by click, with PyTorch-made files. Skips, saying why, where chromium is
 * absent; {@code .ci/run} installs it and axe-core.
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTests extends IntegrationTest {

  private static final String CASE = "data_parallel_prefix_lenient";
  private static Browser browser;

  /** Pages the flow reached, for the accessibility and timing checks. */
  private static final Map<String, String> PAGES = new LinkedHashMap<>();

  /** Axe's findings on pages only a form's answer shows (a compared preview, a refused edit). */
  private static final Map<String, List<String>> AXE_EXTRA = new LinkedHashMap<>();

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;

  @BeforeEach
  void browser() throws Exception {
    String missing = Browser.missing();
    Assumptions.assumeTrue(missing == null, missing);
    if (browser == null) {
      browser = new Browser(port);
    }
    browser.driver.manage().deleteAllCookies();
  }

  @AfterAll
  static void quit() {
    if (browser != null) {
      browser.close();
      browser = null;
    }
  }

  @Test
  @Order(1)
  void shouldWarmStartFromUploadToDownloadInTheBrowser() throws Exception {
    Browser b = browser;
    b.open("/");
    assertThat(b.url()).endsWith("/console/login");
    b.signIn(ADMIN_TOKEN);
    assertThat(b.text(".who")).contains("bootstrap-admin");
    b.screenshot("01-overview");
    PAGES.put("overview", "/console");

    // Upload a checkpoint and an architecture made by torch, through the page's own upload script.
    String checkpointId = upload("/console/checkpoints", resource(ORACLE + CASE + ".ckpt.pt"));
    assertThat(b.url()).contains("/console/checkpoints/" + checkpointId);
    assertThat(b.text("h1")).contains(CASE);
    assertThat(b.text("main")).contains("float32").contains("module.fc1.weight");
    b.find("#prefix").sendKeys("module.fc2");
    b.clickThrough("form[role=search] button", "prefix=module.fc2");
    assertThat(b.all("tbody code"))
        .extracting(WebElement::getText)
        .allMatch(k -> k.startsWith("module.fc2"));
    // The module tree: each module a <details> a keyboard opens (Enter on its summary).
    WebElement module = b.find("ul.modules li.module li.module > details > summary");
    WebElement details = module.findElement(By.xpath(".."));
    assertThat(details.getDomAttribute("open")).isNull();
    module.sendKeys(Keys.ENTER);
    assertThat(details.getDomAttribute("open")).isNotNull();
    assertThat(module.getText()).contains("elements in");
    b.screenshot("02-checkpoint");
    PAGES.put("checkpoints", "/console/checkpoints");
    PAGES.put("checkpoint", "/console/checkpoints/" + checkpointId);

    // The architecture is dropped on the upload form, as a person drags a file onto the page.
    Path target = resource(ORACLE + CASE + ".target.pt");
    String architectureId = drop("/console/architectures", target);
    assertThat(json(get("/api/v1/architectures/" + architectureId)).path("sha256").asText())
        .isEqualTo(sha256(Files.readAllBytes(target)));
    b.screenshot("03-architecture");
    PAGES.put("architectures", "/console/architectures");
    PAGES.put("architecture", "/console/architectures/" + architectureId);

    // Preview with PyTorch's defaults: the prefixed keys make the strict load fail, in torch's
    // words.
    b.open("/console/preview?checkpoint=" + checkpointId + "&architecture=" + architectureId);
    PAGES.put("preview", "/console/preview");
    b.clickAndReload("#preview-button");
    assertThat(b.text(".outcome")).isEqualTo("FAILED");
    assertThat(b.text(".torch-error")).startsWith("Error(s) in loading state_dict");
    b.screenshot("04-preview-failed");

    // One click on the suggested rule: it is added to the options and the report is redone.
    WebElement suggestion = b.find("button.suggestion");
    assertThat(suggestion.getText()).contains("stripPrefix module.");
    b.clickAndReload("button.suggestion");
    assertThat(b.find("#rules").getDomProperty("value")).contains("stripPrefix module.");
    assertThat(b.text(".outcome")).isEqualTo("OK");
    assertThat(b.all(".torch-error")).isEmpty();
    assertThat(b.all("ul.tree .status.loaded")).isNotEmpty();
    b.screenshot("05-preview-ok");

    // Coverage gates, measured; then pin these options and see what freezing fc1 changes.
    b.find("#require").sendKeys("fc1. 1\n90%");
    b.clickAndReload("#pin-button");
    assertThat(b.all("tr.gate")).hasSize(2);
    assertThat(b.text("table tr.gate")).contains("met");
    assertThat(b.text(".comparison")).contains("treated the same way");
    b.find("#freeze").sendKeys("fc1.*");
    b.clickAndReload("#preview-button");
    assertThat(b.all("#changes tr.change"))
        .extracting(r -> r.getDomAttribute("data-key"))
        .containsExactlyInAnyOrder("fc1.weight", "fc1.bias");
    assertThat(b.text("#changes")).contains("trained").contains("frozen");
    AXE_EXTRA.put("preview compared", b.seriousAccessibilityViolations());
    b.screenshot("05b-preview-compared");

    // Start the run from the preview and watch it end.
    String model = "console-" + UUID.randomUUID().toString().substring(0, 8);
    b.find("#model").sendKeys(model);
    b.find("#aliases").sendKeys("candidate");
    b.clickThrough("#start-run", "/console/runs/");
    String runPath = b.url().substring(b.url().indexOf("/console/runs/"));
    PAGES.put("run", runPath);
    // The page reloads itself at the end, so the status element may go stale between finding and
    // reading it: that is a retry, not a failure.
    b.waitUpTo(Duration.ofSeconds(60))
        .ignoring(StaleElementReferenceException.class)
        .until(d -> d.findElement(By.id("run-status")).getText().equals("SUCCEEDED"));
    // The page reloads itself once the run has ended, with the report as executed.
    b.waitUpTo(Duration.ofSeconds(10))
        .until(d -> !d.findElements(By.cssSelector(".report")).isEmpty());
    assertThat(b.text(".outcome")).isEqualTo("OK");
    b.assertNoScriptErrors();
    b.screenshot("06-run-succeeded");
    PAGES.put("runs", "/console/runs");

    // The version it made, and its artifact, byte for byte.
    b.clickThrough("#version-link", "/versions/1");
    assertThat(b.url()).endsWith("/console/models/" + model + "/versions/1");
    PAGES.put("version", "/console/models/" + model + "/versions/1");
    String shown = b.find("code.sha[data-format=safetensors]").getText();
    JsonNode api = json(get("/api/v1/models/" + model + "/versions/1"));
    String stored = null;
    for (JsonNode a : api.path("artifacts")) {
      if (a.path("format").asText().equals("safetensors")) {
        stored = a.path("sha256").asText();
      }
    }
    assertThat(shown).isEqualTo(stored);
    b.find("a[data-format=safetensors]").click();
    Path file = awaitDownload(model + "-v1.safetensors");
    assertThat(sha256(Files.readAllBytes(file))).isEqualTo(stored);
    b.screenshot("07-version");

    // Move an alias, confirmed first.
    b.open("/console/models/" + model);
    PAGES.put("models", "/console/models");
    PAGES.put("model", "/console/models/" + model);
    b.find("#alias").sendKeys("champion");
    b.clickThrough("#move-alias", "/aliases");
    assertThat(b.text("main")).contains("will be created pointing at version 1");
    b.screenshot("08-alias-confirm");
    b.clickAndReload("#confirm-move");
    assertThat(b.text("[role=status]")).contains("now points at version 1");
    assertThat(json(get("/api/v1/models/" + model + "/aliases/champion")).path("version").asInt())
        .isEqualTo(1);

    // Description and tags are the editable part of a version.
    // The lineage is drawn, each box a link.
    b.open("/console/models/" + model + "/versions/1");
    assertThat(b.all(".lineage-graph a.node")).hasSizeGreaterThanOrEqualTo(4);
    b.find("details.card summary").click();
    b.find("#description").sendKeys("warm-started in the console");
    // Someone edits the version while the form is open: saving is refused, in words.
    HttpResponse<String> elsewhere =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/models/" + model + "/versions/1"))
                .header("Content-Type", "application/json")
                .method(
                    "PATCH",
                    HttpRequest.BodyPublishers.ofString("{\"description\": \"edited elsewhere\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(elsewhere.statusCode()).isEqualTo(200);
    b.clickAndReload("#save-version");
    assertThat(b.text("#edit-refused")).contains("Someone changed it").contains("412");
    assertThat(json(get("/api/v1/models/" + model + "/versions/1")).path("description").asText())
        .isEqualTo("edited elsewhere");
    AXE_EXTRA.put("version edit refused", b.seriousAccessibilityViolations());
    b.screenshot("07b-edit-refused");
    // The form is open again with the version as it now is: this save applies.
    b.find("#description").clear();
    b.find("#description").sendKeys("warm-started in the console");
    b.find("#tags").clear();
    b.find("#tags").sendKeys("team:vision");
    b.clickAndReload("#save-version");
    assertThat(b.text("[role=status]")).contains("saved");
    JsonNode edited = json(get("/api/v1/models/" + model + "/versions/1"));
    assertThat(edited.path("description").asText()).isEqualTo("warm-started in the console");
    assertThat(edited.path("tags").path("team").asText()).isEqualTo("vision");

    // Deleting a version an alias points at is refused, and the page says why in words.
    b.clickAndReload("form.danger button");
    assertThat(b.text("h1")).isEqualTo("Conflict");
    assertThat(b.text(".problem")).contains("something still uses it").contains("champion");
    b.screenshot("09-delete-refused");
  }

  @Test
  @Order(2)
  void shouldEndTheSessionOnTheNextRequestOnceItsTokenIsRevoked() throws Exception {
    Browser b = browser;
    b.signIn("graft_00000000_" + "x".repeat(43));
    assertThat(b.url()).contains("/console/login");
    assertThat(b.text(".problem")).contains("refused");

    // An admin creates a read-only token in the console; its secret is shown once.
    b.signIn(ADMIN_TOKEN);
    b.open("/console/admin/tokens");
    PAGES.put("tokens", "/console/admin/tokens");
    PAGES.put("audit", "/console/admin/audit");
    String name = "reader-" + UUID.randomUUID().toString().substring(0, 8);
    b.find("#token-name").sendKeys(name);
    b.clickAndReload("#create-token");
    String secret = b.find("#secret").getDomProperty("value");
    assertThat(secret).startsWith("graft_");
    b.screenshot("10-token-created");
    b.clickThrough("form[action$='/console/logout'] button", "/console/login?signedOut");

    // The reader sees, but is offered nothing it may not do, and is refused what it tries anyway.
    b.signIn(secret);
    assertThat(b.text(".who")).contains(name).contains("read");
    b.open("/console/checkpoints");
    assertThat(b.all("form[data-upload]")).isEmpty();
    b.open("/console/admin/tokens");
    assertThat(b.text("h1")).isEqualTo("Not allowed");
    assertThat(b.text(".problem")).contains("scope admin");
    b.screenshot("11-reader-denied");

    // Revoked elsewhere: the very next page ends the session.
    String id = null;
    for (JsonNode t : json(get("/api/v1/tokens?size=1000")).path("items")) {
      if (t.path("name").asText().equals(name)) {
        id = t.path("id").asText();
      }
    }
    assertThat(delete("/api/v1/tokens/" + id).statusCode()).isEqualTo(204);
    b.open("/console/checkpoints");
    assertThat(b.url()).contains("/console/login");
    assertThat(b.text(".problem")).contains("revoked");
    b.screenshot("12-session-ended");
    b.open("/console");
    assertThat(b.url()).contains("/console/login");
  }

  @Test
  @Order(3)
  void everyPageShouldHaveNoSeriousOrCriticalAccessibilityViolations() {
    Assumptions.assumeTrue(
        Files.isReadable(Browser.AXE),
        "axe-core is not at "
            + Browser.AXE.toAbsolutePath()
            + " (npm install --prefix .ci/node axe-core; .ci/run does)");
    Browser b = browser;
    b.open("/console/login");
    Map<String, List<String>> found = new LinkedHashMap<>();
    found.put("login", b.seriousAccessibilityViolations());
    b.signIn(ADMIN_TOKEN);
    for (Map.Entry<String, String> page : pages().entrySet()) {
      b.open(page.getValue());
      found.put(page.getKey(), b.seriousAccessibilityViolations());
    }
    found.putAll(AXE_EXTRA);
    found.forEach(
        (page, v) ->
            System.out.println("axe " + page + ": " + v.size() + " serious/critical " + v));
    assertThat(found).allSatisfy((page, v) -> assertThat(v).as(page).isEmpty());

    // The check can fail: a field without a label on the same page is a critical violation.
    b.driver.executeScript(
        "document.querySelector('main').appendChild(document.createElement('input'))");
    assertThat(b.seriousAccessibilityViolations()).anyMatch(v -> v.contains("label"));
  }

  @Test
  @Order(4)
  void shouldShowEveryPageQuicklyWithAThousandVersions() {
    TestVersions versions = new TestVersions(registry, blobs, gc, tx);
    String model = TestVersions.uniqueModel("timing");
    for (int i = 0; i < 1000; i++) {
      versions.register(model, Map.of("seed", "timing"), List.of());
    }
    Browser b = browser;
    b.signIn(ADMIN_TOKEN);
    Map<String, String> pages = new LinkedHashMap<>(pages());
    pages.put("model (1,000 versions)", "/console/models/" + model);
    pages.put("model page 20", "/console/models/" + model + "?page=19");
    pages.put("version 1000", "/console/models/" + model + "/versions/1000");
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, String> page : pages.entrySet()) {
      b.open(page.getValue()); // warm
      double server = Double.MAX_VALUE;
      double complete = Double.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        b.open(page.getValue());
        double[] t = b.navigationTiming();
        server = Math.min(server, t[0]);
        complete = Math.min(complete, t[1]);
      }
      lines.add(
          String.format(
              "%-24s %7.1f ms response %7.1f ms complete", page.getKey(), server, complete));
    }
    System.out.println("Console page timings, registry with 1,000 more versions (best of 3):");
    lines.forEach(System.out::println);
    assertThat(lines).hasSize(pages.size());
  }

  /** The pages the flow reached, or the list pages when it did not run. */
  private static Map<String, String> pages() {
    Map<String, String> out = new LinkedHashMap<>();
    Stream.of(
            "overview=/console",
            "checkpoints=/console/checkpoints",
            "architectures=/console/architectures",
            "preview=/console/preview",
            "runs=/console/runs",
            "models=/console/models",
            "tokens=/console/admin/tokens",
            "audit=/console/admin/audit")
        .map(s -> s.split("=", 2))
        .forEach(kv -> out.put(kv[0], kv[1]));
    out.putAll(PAGES);
    return out;
  }

  /** Uploads a file on a list page and returns the id of the page it lands on. */
  private String upload(String listPage, Path file) {
    Browser b = browser;
    b.open(listPage);
    b.find("#upload-file").sendKeys(file.toAbsolutePath().toString());
    b.find("form[data-upload] button[type=submit]").click();
    b.waitUpTo(Duration.ofSeconds(30))
        .until(d -> d.getCurrentUrl().matches(".*" + listPage + "/[0-9a-f-]{36}$"));
    b.assertNoScriptErrors();
    return b.url().substring(b.url().lastIndexOf('/') + 1);
  }

  /**
   * Drops a file on a list page's upload form: the file is picked into an input of its own (outside
   * the form, so the form's own input is not involved), put into a DataTransfer, and the form gets
   * real dragenter, dragover and drop events carrying it. Returns the id of the page it lands on.
   */
  private String drop(String listPage, Path file) {
    Browser b = browser;
    b.open(listPage);
    b.driver.executeScript(
        "var i = document.createElement('input'); i.type = 'file'; i.id = 'drag-source';"
            + " i.hidden = true; document.body.appendChild(i);");
    b.find("#drag-source").sendKeys(file.toAbsolutePath().toString());
    Object dragging =
        b.driver.executeScript(
            "var form = document.querySelector('form[data-upload]');"
                + " var dt = new DataTransfer();"
                + " dt.items.add(document.getElementById('drag-source').files[0]);"
                + " form.dispatchEvent(new DragEvent('dragenter', {bubbles: true, cancelable: true,"
                + " dataTransfer: dt}));"
                + " form.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true,"
                + " dataTransfer: dt}));"
                + " var shown = form.classList.contains('dragging');"
                + " form.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true,"
                + " dataTransfer: dt}));"
                + " return shown;");
    assertThat(dragging).as("the form shows it takes the drop").isEqualTo(Boolean.TRUE);
    b.waitUpTo(Duration.ofSeconds(30))
        .until(d -> d.getCurrentUrl().matches(".*" + listPage + "/[0-9a-f-]{36}$"));
    b.assertNoScriptErrors();
    return b.url().substring(b.url().lastIndexOf('/') + 1);
  }

  private Path awaitDownload(String name) throws InterruptedException {
    Path file = browser.downloads.resolve(name);
    for (int i = 0; i < 100 && !Files.exists(file); i++) {
      Thread.sleep(100);
    }
    assertThat(file).exists();
    return file;
  }
}
