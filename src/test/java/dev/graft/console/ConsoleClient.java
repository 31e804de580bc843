package dev.graft.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A person's browser as far as plain HTTP goes: a cookie jar, no redirects followed, and the CSRF
 * token each form carries read from the page, as the console's HTTP-level tests use it.
 */
final class ConsoleClient {

  static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  private final HttpClient http =
      HttpClient.newBuilder()
          .cookieHandler(new CookieManager())
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();
  private final Function<String, URI> uri;

  ConsoleClient(Function<String, URI> uri) {
    this.uri = uri;
  }

  /** Signs in with a Graft token through the sign-in form; fails unless it is accepted. */
  ConsoleClient signIn(String token) throws Exception {
    String csrf = csrf(get("/console/login").body());
    HttpResponse<String> r = postForm("/console/login", "token=" + enc(token) + "&_csrf=" + csrf);
    assertThat(r.headers().firstValue("Location").orElse("")).endsWith("/console");
    return this;
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri.apply(path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Posts a form as encoded (the caller adds {@code _csrf}). */
  HttpResponse<String> postForm(String path, String form) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri.apply(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The first CSRF form field's value in a page, URL-encoded for a form body. */
  static String csrf(String html) {
    return enc(first(CSRF_FIELD, html));
  }

  /** The first group of the first match of a pattern in a page; fails when there is none. */
  static String first(Pattern p, String html) {
    Matcher m = p.matcher(html);
    assertThat(m.find()).as("%s in the page", p).isTrue();
    return m.group(1);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
