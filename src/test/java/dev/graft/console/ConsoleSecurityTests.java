package dev.graft.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.registry.Safetensors;
import java.net.CookieManager;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The console's session over plain HTTP: sign-in by token, the cookie's attributes, CSRF on every
 * form and on the upload script's requests, the token's scopes, and that the API does not take the
 * console's session in place of a bearer token.
 */
class ConsoleSecurityTests extends IntegrationTest {

  private static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
  private static final Pattern CSRF_META =
      Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\"");

  private HttpClient browserLike() {
    return HttpClient.newBuilder()
        .cookieHandler(new CookieManager())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  private HttpResponse<String> send(HttpClient c, HttpRequest r) throws Exception {
    return c.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> getPage(HttpClient c, String path) throws Exception {
    return send(c, HttpRequest.newBuilder(uri(path)).GET().build());
  }

  private HttpResponse<String> postForm(HttpClient c, String path, String form) throws Exception {
    return send(
        c,
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build());
  }

  private static String find(Pattern p, String html) {
    Matcher m = p.matcher(html);
    assertThat(m.find()).as("no CSRF token in the page").isTrue();
    return m.group(1);
  }

  private HttpResponse<String> signIn(HttpClient c, String token) throws Exception {
    HttpResponse<String> page = getPage(c, "/console/login");
    String csrf = find(CSRF_FIELD, page.body());
    return postForm(
        c,
        "/console/login",
        "token="
            + URLEncoder.encode(token, StandardCharsets.UTF_8)
            + "&_csrf="
            + URLEncoder.encode(csrf, StandardCharsets.UTF_8));
  }

  @Test
  void shouldSendAPersonWithoutASessionToTheSignInPage() throws Exception {
    HttpClient c = browserLike();
    assertThat(getPage(c, "/").headers().firstValue("Location"))
        .hasValueSatisfying(l -> assertThat(l).endsWith("/console"));
    HttpResponse<String> console = getPage(c, "/console");
    assertThat(console.statusCode()).isEqualTo(302);
    assertThat(console.headers().firstValue("Location").orElseThrow()).endsWith("/console/login");
    // A bearer token is for the API: the console wants a session.
    HttpResponse<String> bearer =
        send(
            c,
            HttpRequest.newBuilder(uri("/console"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .build());
    assertThat(bearer.statusCode()).isEqualTo(302);
  }

  @Test
  void shouldKeepAnHttpOnlySameSiteSessionAndRefuseFormsWithoutTheCsrfToken() throws Exception {
    HttpClient c = browserLike();
    HttpResponse<String> page = getPage(c, "/console/login");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'");
    HttpResponse<String> noCsrf =
        postForm(
            c, "/console/login", "token=" + URLEncoder.encode(ADMIN_TOKEN, StandardCharsets.UTF_8));
    assertThat(noCsrf.statusCode()).isEqualTo(403);

    HttpResponse<String> signedIn = signIn(c, ADMIN_TOKEN);
    assertThat(signedIn.statusCode()).isEqualTo(302);
    assertThat(signedIn.headers().firstValue("Location").orElseThrow()).endsWith("/console");
    String cookie =
        signedIn.headers().allValues("Set-Cookie").stream()
            .filter(s -> s.startsWith("JSESSIONID="))
            .findFirst()
            .orElseThrow(() -> new AssertionError("signing in must start a new session"));
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");

    HttpResponse<String> overview = getPage(c, "/console");
    assertThat(overview.statusCode()).isEqualTo(200);
    assertThat(overview.body()).contains("Signed in as <strong>bootstrap-admin</strong>");

    // The session is the console's only: the API still wants a bearer token.
    HttpResponse<String> api = getPage(c, "/api/v1/checkpoints");
    assertThat(api.statusCode()).isEqualTo(401);

    // The upload script's request needs the page's CSRF token in a header.
    String path = "/console/checkpoints/upload?name=csrf-" + UUID.randomUUID();
    HttpRequest.Builder upload =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()));
    assertThat(send(c, upload.build()).statusCode()).isEqualTo(403);
    String token = find(CSRF_META, getPage(c, "/console/checkpoints").body());
    HttpResponse<String> stored = send(c, upload.header("X-CSRF-TOKEN", token).build());
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
    assertThat(json(stored).path("location").asText()).startsWith("/console/checkpoints/");
  }

  @Test
  void shouldAllowWhatTheTokensScopesAllowAndNothingMore() throws Exception {
    String name = "console-read-" + UUID.randomUUID().toString().substring(0, 8);
    String secret =
        json(postJson("/api/v1/tokens", "{\"name\": \"" + name + "\", \"scopes\": [\"read\"]}"))
            .path("token")
            .asText();
    HttpClient c = browserLike();
    assertThat(signIn(c, secret).statusCode()).isEqualTo(302);
    assertThat(getPage(c, "/console/checkpoints").statusCode()).isEqualTo(200);

    HttpResponse<String> admin = getPage(c, "/console/admin/audit");
    assertThat(admin.statusCode()).isEqualTo(403);
    assertThat(admin.body()).contains("scope <strong>admin</strong>");

    String token = find(CSRF_META, getPage(c, "/console/checkpoints").body());
    HttpResponse<String> upload =
        send(
            c,
            HttpRequest.newBuilder(uri("/console/checkpoints/upload?name=nope"))
                .header("Content-Type", "application/octet-stream")
                .header("X-CSRF-TOKEN", token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()))
                .build());
    assertThat(upload.statusCode()).isEqualTo(403);
    assertThat(upload.body()).contains("scope <strong>write</strong>");
    HttpResponse<String> audit = get("/api/v1/audit?action=access.denied&actor=" + name);
    assertThat(json(audit).path("items")).isNotEmpty();
  }

  @Test
  void shouldRefuseABadTokenAtSignInAndSayWhy() throws Exception {
    HttpClient c = browserLike();
    HttpResponse<String> refused = signIn(c, "graft_00000000_" + "y".repeat(43));
    assertThat(refused.statusCode()).isEqualTo(302);
    String location = refused.headers().firstValue("Location").orElseThrow();
    assertThat(location).endsWith("/console/login?refused");
    HttpResponse<String> page = getPage(c, location.substring(location.indexOf("/console")));
    assertThat(page.body()).contains("That token was refused").contains("not valid");
    assertThat(getPage(c, "/console").statusCode()).isEqualTo(302);

    // The words come from the session: an address cannot put its own on the page.
    HttpResponse<String> forged =
        getPage(browserLike(), "/console/login?refused=call+0800+to+restore+your+account");
    assertThat(forged.body()).doesNotContain("0800").contains("no reason was kept");
  }

  @Test
  void shouldStreamARunsEventsToTheSessionAndToNobodyElse() throws Exception {
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=ev",
                resource("fixtures/oracle/identical_lenient.ckpt.pt")))
            .get("id")
            .asString();
    String arch =
        json(postFile(
                "/api/v1/architectures?name=ev",
                resource("fixtures/oracle/identical_lenient.target.pt")))
            .get("id")
            .asString();
    String run =
        json(postJson(
                "/api/v1/warm-starts",
                "{\"checkpointId\":\""
                    + ckpt
                    + "\",\"architectureId\":\""
                    + arch
                    + "\",\"options\":{\"strict\":false},\"output\":{\"model\":\"ev-"
                    + UUID.randomUUID()
                    + "\",\"formats\":[\"pytorch\"]}}"))
            .get("id")
            .asString();

    // Without a session: the sign-in page, not the stream.
    HttpClient stranger = browserLike();
    HttpResponse<String> refused = getPage(stranger, "/console/runs/" + run + "/events");
    assertThat(refused.statusCode()).isEqualTo(302);
    assertThat(refused.headers().firstValue("Location").orElse("")).contains("/console/login");

    // With one: the run's events, to its final status (the stream then ends).
    HttpClient c = browserLike();
    assertThat(signIn(c, ADMIN_TOKEN).statusCode()).isEqualTo(302);
    HttpResponse<String> stream =
        send(
            c,
            HttpRequest.newBuilder(uri("/console/runs/" + run + "/events"))
                .header("Accept", "text/event-stream")
                .timeout(java.time.Duration.ofSeconds(60))
                .GET()
                .build());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    assertThat(stream.body()).contains("id:end").contains("event:status").contains("SUCCEEDED");
  }
}
