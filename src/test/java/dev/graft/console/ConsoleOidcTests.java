package dev.graft.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.graft.HttpTest;
import dev.graft.registry.Safetensors;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The console's sign-in through an OpenID Connect provider (oidc mode), against a provider played
 * by the test: discovery, keys, an authorization endpoint that signs the person in at once and
 * sends them back with a code, and a token endpoint that exchanges the code (checking the client's
 * secret, the redirect URI and the code's single use) for an ID token and an access token signed
 * with the test's RSA key. The person is the test's cookie-keeping HTTP client.
 */
class ConsoleOidcTests extends HttpTest {

  private static final String AUDIENCE = "graft-api";
  private static final String CLIENT_ID = "graft-console";
  private static final String CLIENT_SECRET = "console-secret-" + UUID.randomUUID();
  private static final RSAKey KEY = rsa();
  private static final HttpServer PROVIDER;
  private static final String ISSUER;

  /** What the provider grants whoever signs in next: claims added to the access token. */
  private static volatile Consumer<JWTClaimsSet.Builder> nextGrant = c -> {};

  /** Codes issued and not yet exchanged: the nonce and redirect URI they were issued for. */
  private static final Map<String, String[]> CODES = new ConcurrentHashMap<>();

  static {
    try {
      PROVIDER = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      ISSUER = "http://127.0.0.1:" + PROVIDER.getAddress().getPort() + "/realms/graft";
      PROVIDER.createContext(
          "/realms/graft/.well-known/openid-configuration",
          ex ->
              answer(
                  ex,
                  200,
                  "{\"issuer\":\""
                      + ISSUER
                      + "\",\"authorization_endpoint\":\""
                      + ISSUER
                      + "/authorize\",\"token_endpoint\":\""
                      + ISSUER
                      + "/token\",\"jwks_uri\":\""
                      + ISSUER
                      + "/jwks\",\"response_types_supported\":[\"code\"],"
                      + "\"subject_types_supported\":[\"public\"],"
                      + "\"id_token_signing_alg_values_supported\":[\"RS256\"],"
                      + "\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\"],"
                      + "\"scopes_supported\":[\"openid\",\"graft:read\",\"graft:write\","
                      + "\"graft:admin\"]}"));
      PROVIDER.createContext(
          "/realms/graft/jwks", ex -> answer(ex, 200, new JWKSet(KEY.toPublicJWK()).toString()));
      PROVIDER.createContext("/realms/graft/authorize", ConsoleOidcTests::authorize);
      PROVIDER.createContext("/realms/graft/token", ConsoleOidcTests::token);
      PROVIDER.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void oidc(DynamicPropertyRegistry registry) throws IOException {
    String dataDir = Files.createTempDirectory("graft-console-oidc-test-").toString();
    registry.add("graft.data-dir", () -> dataDir);
    registry.add("graft.security.mode", () -> "oidc");
    registry.add("graft.security.oidc.audience", () -> AUDIENCE);
    registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> ISSUER);
    registry.add("spring.security.oauth2.client.provider.graft.issuer-uri", () -> ISSUER);
    registry.add("spring.security.oauth2.client.registration.graft.client-id", () -> CLIENT_ID);
    registry.add(
        "spring.security.oauth2.client.registration.graft.client-secret", () -> CLIENT_SECRET);
    registry.add(
        "spring.security.oauth2.client.registration.graft.scope",
        () -> "openid,graft:read,graft:write,graft:admin");
  }

  @AfterAll
  static void stopProvider() {
    PROVIDER.stop(0);
  }

  private static RSAKey rsa() {
    try {
      return new RSAKeyGenerator(2048)
          .keyID("console-test-key")
          .algorithm(JWSAlgorithm.RS256)
          .generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void answer(HttpExchange ex, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.getResponseHeaders().add("Cache-Control", "no-store");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static Map<String, String> form(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return out;
    }
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      out.put(
          URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  /** Signs the person in at once and sends them back to the client with a code. */
  private static void authorize(HttpExchange ex) throws IOException {
    Map<String, String> q = form(ex.getRequestURI().getRawQuery());
    if (!"code".equals(q.get("response_type")) || !CLIENT_ID.equals(q.get("client_id"))) {
      answer(ex, 400, "{\"error\":\"invalid_request\"}");
      return;
    }
    String code = UUID.randomUUID().toString();
    CODES.put(code, new String[] {q.get("nonce"), q.get("redirect_uri")});
    ex.getResponseHeaders()
        .add(
            "Location",
            q.get("redirect_uri")
                + "?code="
                + code
                + "&state="
                + URLEncoder.encode(q.get("state"), StandardCharsets.UTF_8));
    ex.sendResponseHeaders(302, -1);
    ex.close();
  }

  /** The code exchange: the client's secret, the same redirect URI, each code once. */
  private static void token(HttpExchange ex) throws IOException {
    Map<String, String> f =
        form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8));
    String[] issued = CODES.remove(String.valueOf(f.get("code")));
    if (!basic.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      answer(ex, 401, "{\"error\":\"invalid_client\"}");
      return;
    }
    if (!"authorization_code".equals(f.get("grant_type"))
        || issued == null
        || !issued[1].equals(f.get("redirect_uri"))) {
      answer(ex, 400, "{\"error\":\"invalid_grant\"}");
      return;
    }
    try {
      Instant now = Instant.now();
      JWTClaimsSet.Builder access =
          new JWTClaimsSet.Builder()
              .issuer(ISSUER)
              .subject("alice")
              .audience(List.of(AUDIENCE))
              .issueTime(Date.from(now))
              .notBeforeTime(Date.from(now.minusSeconds(5)))
              .expirationTime(Date.from(now.plusSeconds(300)))
              .claim("scope", "openid graft:read");
      nextGrant.accept(access);
      JWTClaimsSet accessClaims = access.build();
      JWTClaimsSet id =
          new JWTClaimsSet.Builder()
              .issuer(ISSUER)
              .subject(accessClaims.getSubject())
              .audience(CLIENT_ID)
              .issueTime(Date.from(now))
              .expirationTime(Date.from(now.plusSeconds(300)))
              .claim("nonce", issued[0])
              .build();
      answer(
          ex,
          200,
          "{\"access_token\":\""
              + sign(accessClaims)
              + "\",\"token_type\":\"Bearer\",\"expires_in\":300,\"id_token\":\""
              + sign(id)
              + "\"}");
    } catch (Exception e) {
      answer(ex, 500, "{\"error\":\"server_error\"}");
    }
  }

  private static String sign(JWTClaimsSet claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(KEY.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new RSASSASigner(KEY));
    return jwt.serialize();
  }

  /** An access token for the API, as the provider would issue one with these scopes. */
  private static String apiToken(String subject, String scope) throws Exception {
    Instant now = Instant.now();
    return sign(
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject(subject)
            .audience(List.of(AUDIENCE))
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(300)))
            .claim("scope", scope)
            .build());
  }

  private HttpClient browser() {
    return HttpClient.newBuilder()
        .cookieHandler(new java.net.CookieManager())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  private static HttpResponse<String> get(HttpClient c, URI uri) throws Exception {
    return c.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> page(HttpClient c, String path) throws Exception {
    return get(c, uri(path));
  }

  private static String location(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    return r.headers().firstValue("Location").orElseThrow();
  }

  /**
   * Walks the authorization code flow as a browser does: the sign-in page's link, Graft's redirect
   * to the provider, the provider's back with a code, and Graft's answer to that (returned).
   */
  private HttpResponse<String> signInThroughProvider(
      HttpClient c, Consumer<JWTClaimsSet.Builder> grant) throws Exception {
    nextGrant = grant;
    String login = page(c, "/console/login").body();
    assertThat(login).contains("href=\"/oauth2/authorization/graft\"");
    HttpResponse<String> start = page(c, "/oauth2/authorization/graft");
    URI authorize = URI.create(location(start));
    assertThat(authorize.toString()).startsWith(ISSUER + "/authorize?");
    Map<String, String> q = form(authorize.getRawQuery());
    assertThat(q)
        .containsEntry("response_type", "code")
        .containsEntry("client_id", CLIENT_ID)
        .containsKeys("state", "nonce", "redirect_uri");
    assertThat(q.get("scope").split(" ")).contains("openid", "graft:read");
    assertThat(q.get("redirect_uri"))
        .isEqualTo("http://localhost:" + port + "/login/oauth2/code/graft");
    URI back = URI.create(location(get(c, authorize)));
    return get(c, back);
  }

  @Test
  void shouldSignInThroughTheProviderWithTheScopesTheApiGrantsItsToken() throws Exception {
    HttpClient c = browser();
    assertThat(location(page(c, "/console"))).endsWith("/console/login");

    HttpResponse<String> done = signInThroughProvider(c, g -> {});
    assertThat(location(done)).endsWith("/console");
    String cookie =
        done.headers().allValues("Set-Cookie").stream()
            .filter(s -> s.startsWith("JSESSIONID="))
            .findFirst()
            .orElseThrow(() -> new AssertionError("signing in must start a new session"));
    // Lax, not Strict: the provider sends the person back from its own site.
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Lax");

    HttpResponse<String> overview = page(c, "/console");
    assertThat(overview.statusCode()).isEqualTo(200);
    assertThat(overview.body())
        .contains("Signed in as <strong>alice</strong>")
        .contains("(<span>read</span>)");
    assertThat(page(c, "/console/checkpoints").statusCode()).isEqualTo(200);

    // graft:read and nothing more: the admin pages and uploads are refused, and audited.
    HttpResponse<String> admin = page(c, "/console/admin/audit");
    assertThat(admin.statusCode()).isEqualTo(403);
    assertThat(admin.body()).contains("scope <strong>admin</strong>");
    String csrf =
        ConsoleClient.first(
            java.util.regex.Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\""),
            page(c, "/console/checkpoints").body());
    HttpResponse<String> upload =
        c.send(
            HttpRequest.newBuilder(uri("/console/checkpoints/upload?name=nope"))
                .header("Content-Type", "application/octet-stream")
                .header("X-CSRF-TOKEN", csrf)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(upload.statusCode()).isEqualTo(403);
    assertThat(upload.body()).contains("scope <strong>write</strong>");

    // The session is the console's: the API still wants the provider's bearer token.
    assertThat(page(c, "/api/v1/checkpoints").statusCode()).isEqualTo(401);
    HttpResponse<String> denied =
        newClient(apiToken("root", "graft:admin"))
            .send(
                HttpRequest.newBuilder(uri("/api/v1/audit?action=access.denied&actor=alice"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(denied.statusCode()).as(denied.body()).isEqualTo(200);
    assertThat(JSON.readTree(denied.body()).path("items").size()).isPositive();

    // Signing out ends the session.
    String form = ConsoleClient.csrf(page(c, "/console").body());
    HttpResponse<String> out =
        c.send(
            HttpRequest.newBuilder(uri("/console/logout"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("_csrf=" + form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(location(out)).endsWith("/console/login?signedOut");
    assertThat(location(page(c, "/console"))).endsWith("/console/login");
  }

  @Test
  void shouldActWithTheNameAndScopesOfTheProvidersTokenAndAuditThem() throws Exception {
    HttpClient c = browser();
    HttpResponse<String> done =
        signInThroughProvider(
            c, g -> g.subject("carol").claim("scope", null).claim("scp", List.of("graft:admin")));
    assertThat(location(done)).endsWith("/console");
    assertThat(page(c, "/console").body())
        .contains("Signed in as <strong>carol</strong>")
        .contains("read, write, admin");
    assertThat(page(c, "/console/admin/audit").statusCode()).isEqualTo(200);

    String csrf =
        ConsoleClient.first(
            java.util.regex.Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\""),
            page(c, "/console/checkpoints").body());
    HttpResponse<String> upload =
        c.send(
            HttpRequest.newBuilder(uri("/console/checkpoints/upload?name=carols"))
                .header("Content-Type", "application/octet-stream")
                .header("X-CSRF-TOKEN", csrf)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
    HttpResponse<String> audit =
        newClient(apiToken("root", "graft:admin"))
            .send(
                HttpRequest.newBuilder(uri("/api/v1/audit?action=checkpoint.upload&actor=carol"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    JsonNode items = JSON.readTree(audit.body()).path("items");
    assertThat(items.size()).isEqualTo(1);
  }

  @Test
  void shouldRefuseSignInWithoutAGraftScopeAValidTokenOrTheFlowsOwnState() throws Exception {
    // No Graft scope: the provider signed the person in, Graft does not.
    HttpClient none = browser();
    HttpResponse<String> noScope =
        signInThroughProvider(none, g -> g.subject("dave").claim("scope", "openid profile"));
    assertThat(location(noScope)).endsWith("/console/login?refused");
    assertThat(page(none, "/console/login?refused").body())
        .contains("Signing in was refused")
        .contains("none of the scopes graft:read, graft:write, graft:admin");
    assertThat(location(page(none, "/console"))).endsWith("/console/login");

    // An access token the API would refuse (issued for another service) signs nobody in.
    HttpClient other = browser();
    HttpResponse<String> otherAudience =
        signInThroughProvider(other, g -> g.subject("erin").audience("some-other-service"));
    assertThat(location(otherAudience)).endsWith("/console/login?refused");
    assertThat(page(other, "/console/login?refused").body())
        .contains("not one Graft&#39;s API accepts")
        .contains("aud claim does not name this service");
    assertThat(location(page(other, "/console"))).endsWith("/console/login");

    // A code and state the browser never asked for (a forged link) sign nobody in.
    HttpClient forged = browser();
    HttpResponse<String> stray =
        page(forged, "/login/oauth2/code/graft?code=" + UUID.randomUUID() + "&state=forged");
    assertThat(location(stray)).endsWith("/console/login?refused");
    assertThat(location(page(forged, "/console"))).endsWith("/console/login");

    HttpResponse<String> audit =
        newClient(apiToken("root", "graft:admin"))
            .send(
                HttpRequest.newBuilder(uri("/api/v1/audit?action=auth.refused&size=100")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(audit.body())
        // The first refusal of the minute is written at once (RefusalAudit counts the rest).
        .contains("console sign-in refused: the provider granted none of the scopes");
  }

  @Test
  void shouldEndTheSessionWhenTheProvidersTokenExpires() throws Exception {
    HttpClient c = browser();
    Instant expires = Instant.now().plusSeconds(3);
    HttpResponse<String> done =
        signInThroughProvider(c, g -> g.subject("frank").expirationTime(Date.from(expires)));
    assertThat(location(done)).endsWith("/console");
    assertThat(page(c, "/console").statusCode()).isEqualTo(200);
    Thread.sleep(Math.max(0, expires.toEpochMilli() - System.currentTimeMillis()) + 1100);
    assertThat(location(page(c, "/console"))).endsWith("/console/login?ended");
    assertThat(page(c, "/console/login?ended").body()).contains("access token expired at");
    assertThat(location(page(c, "/console"))).endsWith("/console/login");
  }
}
