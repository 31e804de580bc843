package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Creates and revokes tokens over the API for the security tests, as the admin. */
public final class Tokens {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpClient admin;
  private final String base;

  public Tokens(HttpClient admin, int port) {
    this.admin = admin;
    this.base = "http://localhost:" + port;
  }

  /** A new token's JSON answer (with its secret in {@code token}). */
  JsonNode create(String scope, Instant expiresAt) throws Exception {
    String body =
        "{\"name\": \"test-"
            + scope
            + "-"
            + UUID.randomUUID()
            + "\", \"scopes\": [\""
            + scope
            + "\"]"
            + (expiresAt == null ? "" : ", \"expiresAt\": \"" + expiresAt + "\"")
            + "}";
    HttpResponse<String> r =
        admin.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  /** A new token's secret. */
  public String secret(String scope) throws Exception {
    return create(scope, null).get("token").asString();
  }

  /** Revokes a token by id. */
  void revoke(String id) throws Exception {
    HttpResponse<String> r =
        admin.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens/" + id)).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
  }

  /** A token that has expired by the time this returns. */
  String expired() throws Exception {
    Instant at = Instant.now().plusMillis(1500);
    String token = create("admin", at).get("token").asString();
    while (!Instant.now().isAfter(at.plusMillis(50))) {
      Thread.sleep(50);
    }
    return token;
  }

  /** A token that has been revoked by the time this returns. */
  String revoked() throws Exception {
    JsonNode t = create("admin", null);
    revoke(t.get("id").asString());
    return t.get("token").asString();
  }
}
