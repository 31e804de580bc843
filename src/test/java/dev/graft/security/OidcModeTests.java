package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.graft.HttpTest;
import dev.graft.registry.Safetensors;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * OIDC mode against an identity provider played by the test itself: a discovery document and a JWK
 * set served on loopback, and JWTs signed with Nimbus, valid and invalid in each way that matters.
 */
class OidcModeTests extends HttpTest {

  private static final String AUDIENCE = "graft-api";
  private static final RSAKey KEY = rsa();

  /** Another key under the same key id: what it signs must not verify. */
  private static final RSAKey IMPOSTOR = rsa();

  private static final HttpServer PROVIDER;
  private static final String ISSUER;

  static {
    try {
      PROVIDER = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      ISSUER = "http://127.0.0.1:" + PROVIDER.getAddress().getPort() + "/realms/graft";
      PROVIDER.createContext(
          "/realms/graft/.well-known/openid-configuration",
          ex ->
              answer(
                  ex,
                  "{\"issuer\": \""
                      + ISSUER
                      + "\", \"jwks_uri\": \""
                      + ISSUER
                      + "/jwks\", \"subject_types_supported\": [\"public\"],"
                      + " \"id_token_signing_alg_values_supported\": [\"RS256\"]}"));
      PROVIDER.createContext(
          "/realms/graft/jwks", ex -> answer(ex, new JWKSet(KEY.toPublicJWK()).toString()));
      PROVIDER.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void oidc(DynamicPropertyRegistry registry) throws IOException {
    String dataDir = Files.createTempDirectory("graft-oidc-test-").toString();
    registry.add("graft.data-dir", () -> dataDir);
    registry.add("graft.roles", () -> "api");
    registry.add("graft.security.mode", () -> "oidc");
    registry.add("graft.security.oidc.audience", () -> AUDIENCE);
    registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> ISSUER);
  }

  @AfterAll
  static void stopProvider() {
    PROVIDER.stop(0);
  }

  @Autowired BadTokenLockout lockout;

  @AfterEach
  void forgetRefusals() {
    lockout.clear();
  }

  private static RSAKey rsa() {
    try {
      return new RSAKeyGenerator(2048)
          .keyID("graft-test-key")
          .algorithm(JWSAlgorithm.RS256)
          .generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void answer(HttpExchange ex, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** A JWT valid for Graft, changed by {@code change}, signed with {@code key}. */
  private static String jwt(RSAKey key, Consumer<JWTClaimsSet.Builder> change) throws Exception {
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject("alice")
            .audience(List.of(AUDIENCE, "account"))
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now.minusSeconds(5)))
            .expirationTime(Date.from(now.plusSeconds(300)))
            .claim("scope", "openid graft:read");
    change.accept(claims);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims.build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static String jwt(Consumer<JWTClaimsSet.Builder> change) throws Exception {
    return jwt(KEY, change);
  }

  private HttpResponse<String> call(String token, String method, String path) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    b.method(method, HttpRequest.BodyPublishers.noBody());
    return newClient(token).send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertRefused(HttpResponse<String> r, int status, String detail) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer");
    assertThat(JSON.readTree(r.body()).get("detail").asString()).containsIgnoringCase(detail);
  }

  @Test
  void shouldAcceptAValidJwtWithTheReadScope() throws Exception {
    assertThat(call(jwt(c -> {}), "GET", "/api/v1/models").statusCode()).isEqualTo(200);
    // scp as a list works as well as scope as a string.
    String scp = jwt(c -> c.claim("scope", null).claim("scp", List.of("graft:read")));
    assertThat(call(scp, "GET", "/api/v1/checkpoints").statusCode()).isEqualTo(200);
  }

  @Test
  void shouldRefuseAnExpiredJwt() throws Exception {
    String expired =
        jwt(
            c ->
                c.issueTime(Date.from(Instant.now().minusSeconds(900)))
                    .notBeforeTime(Date.from(Instant.now().minusSeconds(900)))
                    .expirationTime(Date.from(Instant.now().minusSeconds(600))));
    assertRefused(call(expired, "GET", "/api/v1/models"), 401, "expired");
  }

  @Test
  void shouldRefuseAJwtFromAnotherIssuer() throws Exception {
    String other = jwt(c -> c.issuer("http://127.0.0.1:1/realms/evil"));
    assertRefused(call(other, "GET", "/api/v1/models"), 401, "iss");
  }

  @Test
  void shouldRefuseAJwtForAnotherAudience() throws Exception {
    String other = jwt(c -> c.audience("some-other-service"));
    assertRefused(call(other, "GET", "/api/v1/models"), 401, "aud");
  }

  @Test
  void shouldRefuseAJwtWithAWrongSignature() throws Exception {
    String forged = jwt(IMPOSTOR, c -> c.claim("scope", "graft:admin"));
    assertRefused(call(forged, "GET", "/api/v1/models"), 401, "refused");
    String unsigned =
        new PlainJWT(
                new JWTClaimsSet.Builder()
                    .issuer(ISSUER)
                    .subject("mallory")
                    .audience(AUDIENCE)
                    .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                    .claim("scope", "graft:admin")
                    .build())
            .serialize();
    assertRefused(call(unsigned, "GET", "/api/v1/models"), 401, "refused");
  }

  @Test
  void shouldRefuseAJwtWithoutTheScopeTheCallNeeds() throws Exception {
    String none = jwt(c -> c.claim("scope", "openid profile email"));
    assertRefused(call(none, "GET", "/api/v1/models"), 403, "'graft:read' scope");
    String reader = jwt(c -> {});
    HttpResponse<String> delete =
        call(reader, "DELETE", "/api/v1/checkpoints/" + java.util.UUID.randomUUID());
    assertRefused(delete, 403, "'graft:write' scope");
    assertThat(delete.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("insufficient_scope")
        .contains("graft:write");
    // Scopes without the graft: prefix are not Graft's.
    String bare = jwt(c -> c.claim("scope", "read write admin"));
    assertRefused(call(bare, "GET", "/api/v1/models"), 403, "no Graft scope");
  }

  @Test
  void shouldRecordTheSubjectAsTheActorAndRefuseGraftTokens() throws Exception {
    String writer = jwt(c -> c.subject("bob").claim("scope", "graft:write"));
    HttpResponse<String> upload =
        newClient(writer)
            .send(
                HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=oidc"))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);

    String admin =
        jwt(c -> c.subject("carol").claim("scope", null).claim("scp", List.of("graft:admin")));
    HttpResponse<String> audit =
        call(
            admin,
            "GET",
            "/api/v1/audit?actor=" + URLEncoder.encode("bob", StandardCharsets.UTF_8));
    assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
    JsonNode line = JSON.readTree(audit.body()).get("items").get(0);
    assertThat(line.get("action").asString()).isEqualTo("checkpoint.upload");
    assertThat(line.get("resourceId").asString())
        .isEqualTo(JSON.readTree(upload.body()).get("id").asString());

    // Graft's own tokens mean nothing here, the suite's bootstrap one included.
    assertRefused(call(ADMIN_TOKEN, "GET", "/api/v1/models"), 401, "refused");
    HttpResponse<String> create =
        newClient(admin)
            .send(
                HttpRequest.newBuilder(uri("/api/v1/tokens"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"name\": \"x\", \"scopes\": [\"read\"]}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(create.statusCode()).as(create.body()).isEqualTo(409);
  }

  @Test
  void shouldDescribeJwtsInTheOpenApiDocument() throws Exception {
    JsonNode doc = JSON.readTree(call(null, "GET", "/v3/api-docs").body());
    assertThat(doc.at("/components/securitySchemes/bearer/bearerFormat").asString())
        .isEqualTo("JWT");
    assertThat(doc.at("/paths/~1api~1v1~1checkpoints/post/x-graft-scope").asString())
        .isEqualTo("graft:write");
  }

  @Test
  void shouldSayOnTheConsolesSignInPageThatItNeedsAClientRegistration() throws Exception {
    java.net.http.HttpClient plain =
        java.net.http.HttpClient.newBuilder()
            .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
            .build();
    HttpResponse<String> console =
        plain.send(
            HttpRequest.newBuilder(uri("/console")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(console.statusCode()).isEqualTo(302);
    assertThat(console.headers().firstValue("Location").orElseThrow()).endsWith("/console/login");
    HttpResponse<String> signIn =
        plain.send(
            HttpRequest.newBuilder(uri("/console/login")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(signIn.statusCode()).isEqualTo(200);
    assertThat(signIn.body())
        // This context has no spring.security.oauth2.client.registration.graft: nobody can sign in
        // to the console (ConsoleOidcTests signs in through a provider with one).
        .contains("Nobody can sign in to the console yet")
        .contains("spring.security.oauth2.client.registration.graft.client-id")
        .doesNotContain("name=\"token\"")
        .doesNotContain("/oauth2/authorization/graft");
  }
}
