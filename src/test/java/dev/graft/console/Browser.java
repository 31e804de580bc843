package dev.graft.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Debian's chromium, headless, driven by its chromedriver: the console's tests open real pages in
 * it, fail on any error the page's scripts log, run axe-core on a page when asked, and keep a
 * screenshot of every step under {@code target/console-screenshots}.
 */
final class Browser implements AutoCloseable {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

  /** axe-core's script: {@code -Dgraft.axe=...}, {@code GRAFT_AXE_JS}, or where .ci/run puts it. */
  static final Path AXE =
      Path.of(
          System.getProperty(
              "graft.axe",
              System.getenv()
                  .getOrDefault("GRAFT_AXE_JS", ".ci/node/node_modules/axe-core/axe.min.js")));

  private static final JsonMapper JSON = JsonMapper.builder().build();

  final ChromeDriver driver;
  final Path downloads;
  private final String base;

  /** Why the browser tests cannot run here, or null when they can. */
  static String missing() {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      return "Debian's chromium and chromium-driver are not installed (apt-get install chromium"
          + " chromium-driver; .ci/run installs them)";
    }
    return null;
  }

  Browser(int port) throws IOException {
    this.base = "http://localhost:" + port;
    this.downloads = Files.createTempDirectory("graft-console-downloads-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--disable-extensions");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    options.setExperimentalOption(
        "prefs",
        Map.of(
            "download.default_directory",
            downloads.toString(),
            "download.prompt_for_download",
            false));
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    this.driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    driver.executeCdpCommand(
        "Browser.setDownloadBehavior",
        Map.of("behavior", "allow", "downloadPath", downloads.toString()));
  }

  /** Opens a console path and checks that its scripts logged no error. */
  void open(String path) {
    driver.get(base + path);
    assertNoScriptErrors();
  }

  String url() {
    return driver.getCurrentUrl();
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  String text(String css) {
    return find(css).getText();
  }

  /** Clicks and waits for the page the click leads to (its address contains {@code fragment}). */
  void clickThrough(String css, String fragment) {
    find(css).click();
    waitUpTo(Duration.ofSeconds(20)).until(d -> d.getCurrentUrl().contains(fragment));
    waitUpTo(Duration.ofSeconds(20))
        .until(d -> "complete".equals(driver.executeScript("return document.readyState")));
    assertNoScriptErrors();
  }

  /** Clicks a button that reloads the page it is on, and waits for the new page. */
  void clickAndReload(String css) {
    WebElement old = find(css);
    old.click();
    waitUpTo(Duration.ofSeconds(20))
        .until(org.openqa.selenium.support.ui.ExpectedConditions.stalenessOf(old));
    waitUpTo(Duration.ofSeconds(20))
        .until(d -> "complete".equals(driver.executeScript("return document.readyState")));
    assertNoScriptErrors();
  }

  WebDriverWait waitUpTo(Duration d) {
    return new WebDriverWait(driver, d);
  }

  /** Fails on every SEVERE entry in the browser's log since the last check (script errors, CSP). */
  void assertNoScriptErrors() {
    List<String> errors = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()
          && !e.getMessage().contains("favicon.ico")
          && !expectedStatus(e.getMessage())) {
        errors.add(e.getMessage());
      }
    }
    assertThat(errors).as("errors in the browser's log on " + url()).isEmpty();
  }

  /**
   * A page answered with an error status on purpose (a 403, 409 or 412 page) is logged; not a bug.
   */
  private static boolean expectedStatus(String message) {
    return message.contains("the server responded with a status of 403")
        || message.contains("the server responded with a status of 409")
        || message.contains("the server responded with a status of 412");
  }

  void signIn(String token) {
    open("/console/login");
    find("#token").sendKeys(token);
    clickAndReload("form button[type=submit]");
  }

  void screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs axe-core on the page and returns its serious and critical violations, each as "rule: help
   * (n nodes)".
   */
  List<String> seriousAccessibilityViolations() {
    String axe;
    try {
      axe = Files.readString(AXE, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    driver.executeScript(axe);
    Object result =
        driver.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']})"
                + ".then(r => done(JSON.stringify(r.violations)))"
                + ".catch(e => done('axe failed: ' + e));");
    String violations = String.valueOf(result);
    assertThat(violations).doesNotStartWith("axe failed");
    List<String> serious = new ArrayList<>();
    for (JsonNode v : JSON.readTree(violations)) {
      String impact = v.path("impact").asText("");
      if (impact.equals("serious") || impact.equals("critical")) {
        StringBuilder where = new StringBuilder();
        for (JsonNode n : v.path("nodes")) {
          where.append(" ").append(n.path("target").toString());
        }
        serious.add(
            impact + " " + v.path("id").asText() + ": " + v.path("help").asText() + " at" + where);
      }
    }
    return serious;
  }

  /** Server and transfer time of the last navigation, and when its page was complete, in ms. */
  double[] navigationTiming() {
    Object r =
        driver.executeScript(
            "const n = performance.getEntriesByType('navigation')[0];"
                + "return [n.responseEnd - n.requestStart, n.domComplete - n.startTime];");
    @SuppressWarnings("unchecked")
    List<Number> l = (List<Number>) r;
    return new double[] {l.get(0).doubleValue(), l.get(1).doubleValue()};
  }

  @Override
  public void close() {
    driver.quit();
  }
}
