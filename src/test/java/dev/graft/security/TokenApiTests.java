package dev.graft.security;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** Tokens over the API: created with their secret once, stored hashed, refused once revoked. */
class TokenApiTests extends IntegrationTest {

  @Autowired JdbcClient jdbc;
  @Autowired BadTokenLockout lockout;

  @AfterEach
  void forgetRefusals() {
    lockout.clear();
  }

  private HttpResponse<String> getAs(String token, String path) throws Exception {
    return newClient(token)
        .send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postTokens(String body) throws Exception {
    return postJson("/api/v1/tokens", body);
  }

  private static void assertProblem(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode p = json(r);
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("type").asString()).startsWith("https://graft.dev/problems/");
    assertThat(p.get("title").asString()).isNotBlank();
    assertThat(p.get("detail").asString()).isNotBlank();
  }

  @Test
  void shouldShowTheSecretOnceAndStoreOnlyItsHash() throws Exception {
    HttpResponse<String> created =
        postTokens("{\"name\": \"ci-" + System.nanoTime() + "\", \"scopes\": [\"write\"]}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode t = json(created);
    String secret = t.get("token").asString();
    assertThat(secret).matches("graft_[0-9a-f]{8}_[A-Za-z0-9_-]{43}");
    assertThat(t.get("prefix").asString()).isEqualTo(secret.substring(0, 14));
    assertThat(t.get("scopes")).hasSize(1);
    assertThat(t.get("scopes").get(0).asString()).isEqualTo("write");
    assertThat(t.get("expiresAt").isNull()).isTrue();
    assertThat(t.get("createdAt").asString()).endsWith("Z");

    // Listed without the secret.
    HttpResponse<String> list = get("/api/v1/tokens?size=1000");
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).doesNotContain(secret).contains(t.get("id").asString());
    String secretPart = secret.substring(15);
    assertThat(list.body()).doesNotContain(secretPart);

    // Stored: a SHA-256 of the token, and nothing that holds the secret.
    Map<String, Object> row =
        jdbc.sql("select * from api_token where id = ?::uuid")
            .param(t.get("id").asString())
            .query()
            .singleRow();
    byte[] stored = (byte[]) row.get("token_sha256");
    assertThat(HexFormat.of().formatHex(stored))
        .isEqualTo(sha256(secret.getBytes(StandardCharsets.UTF_8)));
    for (Object value : row.values()) {
      assertThat(String.valueOf(value)).doesNotContain(secretPart);
    }

    // The token works, with write (and so read) but not admin.
    assertThat(getAs(secret, "/api/v1/checkpoints").statusCode()).isEqualTo(200);
    assertProblem(getAs(secret, "/api/v1/tokens"), 403);
  }

  @Test
  void shouldRefuseARevokedTokenOnTheVeryNextRequest() throws Exception {
    Tokens tokens = new Tokens(http, port);
    JsonNode t = tokens.create("read", null);
    String secret = t.get("token").asString();
    assertThat(getAs(secret, "/api/v1/models").statusCode()).isEqualTo(200);

    tokens.revoke(t.get("id").asString());

    HttpResponse<String> after = getAs(secret, "/api/v1/models");
    assertProblem(after, 401);
    assertThat(json(after).get("detail").asString()).contains("revoked");
    assertThat(after.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer error=\"invalid_token\"");
    JsonNode listed = findToken(t.get("id").asString());
    assertThat(listed.get("revokedAt").isNull()).isFalse();
    // Revoking again changes nothing.
    assertThat(delete("/api/v1/tokens/" + t.get("id").asString()).statusCode()).isEqualTo(204);
  }

  @Test
  void shouldRefuseAnExpiredToken() throws Exception {
    String expired = new Tokens(http, port).expired();
    HttpResponse<String> r = getAs(expired, "/api/v1/models");
    assertProblem(r, 401);
    assertThat(json(r).get("detail").asString()).contains("expired");
  }

  @Test
  void shouldAnswer401WithABearerChallengeWithoutAToken() throws Exception {
    HttpResponse<String> r = getAs(null, "/api/v1/checkpoints");
    assertProblem(r, 401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(json(r).get("detail").asString()).contains("Authorization: Bearer");

    HttpResponse<String> basic =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/checkpoints"))
                .header("Authorization", "Basic dXNlcjpwYXNz")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertProblem(basic, 401);
  }

  @Test
  void shouldTellAMalformedTokenFromAnUnknownOne() throws Exception {
    HttpResponse<String> malformed = getAs("not-a-graft-token", "/api/v1/models");
    assertProblem(malformed, 401);
    assertThat(json(malformed).get("detail").asString()).contains("malformed");

    String unknown = "graft_0123abcd_" + "A".repeat(43);
    HttpResponse<String> r = getAs(unknown, "/api/v1/models");
    assertProblem(r, 401);
    assertThat(json(r).get("detail").asString()).contains("not valid");

    // The right prefix with a wrong secret is just as unknown.
    String real = new Tokens(http, port).secret("read");
    String wrongSecret = real.substring(0, 15) + "B".repeat(43);
    HttpResponse<String> wrong = getAs(wrongSecret, "/api/v1/models");
    assertProblem(wrong, 401);
    assertThat(json(wrong).get("detail").asString()).isEqualTo(json(r).get("detail").asString());
  }

  @Test
  void shouldRefuseInvalidRequestsForTokensNamingTheField() throws Exception {
    assertField(postTokens("{\"scopes\": [\"read\"]}"), "name");
    assertField(postTokens("{\"name\": \"x\", \"scopes\": []}"), "scopes");
    assertField(postTokens("{\"name\": \"x\", \"scopes\": [\"read\", \"root\"]}"), "scopes[1]");
    assertField(
        postTokens(
            "{\"name\": \"x\", \"scopes\": [\"read\"], \"expiresAt\": \"2001-01-01T00:00:00Z\"}"),
        "expiresAt");
    assertField(postTokens("{\"name\": \"system\", \"scopes\": [\"read\"]}"), "name");
    assertField(
        postTokens("{\"name\": \"" + "n".repeat(256) + "\", \"scopes\": [\"read\"]}"), "name");
  }

  @Test
  void shouldRefuseASecondLiveTokenWithTheSameName() throws Exception {
    String name = "dup-" + System.nanoTime();
    JsonNode first = json(postTokens("{\"name\": \"" + name + "\", \"scopes\": [\"read\"]}"));
    assertProblem(postTokens("{\"name\": \"" + name + "\", \"scopes\": [\"read\"]}"), 409);
    // Once the first is revoked, the name is free again.
    new Tokens(http, port).revoke(first.get("id").asString());
    assertThat(postTokens("{\"name\": \"" + name + "\", \"scopes\": [\"read\"]}").statusCode())
        .isEqualTo(201);
  }

  @Test
  void shouldNotRevokeTheLastLiveAdminToken() throws Exception {
    List<String> admins =
        jdbc.sql(
                "select id::text from api_token where revoked_at is null"
                    + " and (expires_at is null or expires_at > now())"
                    + " and ',' || scopes || ',' like '%,admin,%'")
            .query(String.class)
            .list();
    String bootstrapId =
        jdbc.sql("select id::text from api_token where bootstrap").query(String.class).single();
    // Revoke every other admin token, so that the suite's own is the last.
    Tokens tokens = new Tokens(http, port);
    for (String id : admins) {
      if (!id.equals(bootstrapId)) {
        tokens.revoke(id);
      }
    }
    HttpResponse<String> r = delete("/api/v1/tokens/" + bootstrapId);
    assertProblem(r, 409);
    assertThat(json(r).get("detail").asString()).contains("last admin token");
    assertThat(get("/api/v1/tokens").statusCode()).isEqualTo(200);
  }

  @Test
  void shouldAnswer404ForAnUnknownToken() throws Exception {
    assertProblem(delete("/api/v1/tokens/" + java.util.UUID.randomUUID()), 404);
  }

  @Test
  void shouldLockOutAnAddressThatKeepsPresentingBadTokens() throws Exception {
    lockout.clear();
    String good = new Tokens(http, port).secret("read");
    // Calls without a token are not guesses: they never lock anyone out.
    for (int i = 0; i < 15; i++) {
      assertThat(getAs(null, "/api/v1/models").statusCode()).isEqualTo(401);
    }
    assertThat(getAs(good, "/api/v1/models").statusCode()).isEqualTo(200);
    // graft.security.lockout.max-failures is 10 by default.
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = getAs("graft_0badbad0_" + "x".repeat(40) + i, "/api/v1/models");
      assertThat(r.statusCode()).as("attempt " + i).isEqualTo(401);
    }
    HttpResponse<String> locked = getAs("graft_0badbad0_" + "y".repeat(43), "/api/v1/models");
    assertProblem(locked, 429);
    long retryAfter = Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(1L, 300L);
    // While locked out, even a good token from that address is not looked at.
    assertProblem(getAs(good, "/api/v1/models"), 429);
    // Calls without credentials are answered as usual, and health stays open.
    assertThat(getAs(null, "/api/v1/models").statusCode()).isEqualTo(401);
    assertThat(getAs(null, "/actuator/health").statusCode()).isEqualTo(200);

    lockout.clear();
    assertThat(getAs(good, "/api/v1/models").statusCode()).isEqualTo(200);
  }

  private void assertField(HttpResponse<String> r, String field) {
    assertProblem(r, 400);
    assertThat(json(r).get("errors").get(0).get("field").asString()).isEqualTo(field);
  }

  private JsonNode findToken(String id) throws Exception {
    for (JsonNode t : json(get("/api/v1/tokens?size=1000")).get("items")) {
      if (t.get("id").asString().equals(id)) {
        return t;
      }
    }
    throw new AssertionError("token " + id + " not listed");
  }

  static Instant soon() {
    return Instant.now().plusSeconds(3600);
  }
}
