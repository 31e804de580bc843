package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * Walks every operation the OpenAPI document describes with every kind of caller and checks the
 * answer against API.md's scope table, so an endpoint added later is covered without anyone
 * remembering to: no token, a malformed, an expired and a revoked token are 401 (problem+json,
 * {@code WWW-Authenticate: Bearer}); a token without the scope is 403 (problem+json); a token with
 * it gets past security (any other status: ids and bodies are dummies, so 400, 404 or 422 counts as
 * allowed).
 */
class ScopeMatrixTests extends IntegrationTest {

  @Autowired BadTokenLockout lockout;

  private enum Kind {
    NO_TOKEN,
    MALFORMED,
    EXPIRED,
    REVOKED,
    READ,
    WRITE,
    ADMIN
  }

  private record Operation(String method, String path, String contentType) {}

  /** API.md, section Security, written out independently of the code that enforces it. */
  static String scopeApiMdAsks(String method, String path) {
    if (path.startsWith("/api/v1/tokens")
        || path.startsWith("/api/v1/audit")
        || path.startsWith("/api/v1/webhooks")) {
      return "admin";
    }
    if (method.equals("GET") || method.equals("HEAD") || !path.startsWith("/api/")) {
      // Outside /api any valid token will do.
      return "read";
    }
    if (method.equals("POST")
        && (path.equals("/api/v1/previews") || path.equals("/api/v1/diffs"))) {
      return "read";
    }
    return "write";
  }

  @Test
  void shouldAuthorizeEveryOperationOfTheDocumentAsTheScopeTableSays() throws Exception {
    HttpResponse<String> docs =
        newClient(null)
            .send(
                HttpRequest.newBuilder(uri("/v3/api-docs")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(docs.statusCode()).as("the document is public").isEqualTo(200);
    JsonNode doc = JSON.readTree(docs.body());
    assertThat(doc.at("/components/securitySchemes/bearer/scheme").asString()).isEqualTo("bearer");
    assertThat(doc.at("/security/0").has("bearer")).isTrue();

    List<Operation> operations = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
      for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
        String method = op.getKey().toUpperCase();
        if (!List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD").contains(method)) {
          continue;
        }
        JsonNode content = op.getValue().at("/requestBody/content");
        String type =
            content.isMissingNode() || content.isEmpty()
                ? null
                : content.has("application/json")
                    ? "application/json"
                    : content.propertyNames().iterator().next();
        operations.add(new Operation(method, path.getKey(), type));
        assertThat(op.getValue().get("x-graft-scope").asString())
            .as("x-graft-scope of " + method + " " + path.getKey())
            .isEqualTo(scopeApiMdAsks(method, path.getKey()));
      }
    }
    assertThat(operations).hasSizeGreaterThan(25);

    Tokens tokens = new Tokens(http, port);
    Map<Kind, String> secrets = new LinkedHashMap<>();
    secrets.put(Kind.NO_TOKEN, null);
    secrets.put(Kind.MALFORMED, "graft_nothex!_tooshort");
    secrets.put(Kind.EXPIRED, tokens.expired());
    secrets.put(Kind.REVOKED, tokens.revoked());
    secrets.put(Kind.READ, tokens.secret("read"));
    secrets.put(Kind.WRITE, tokens.secret("write"));
    secrets.put(Kind.ADMIN, tokens.secret("admin"));

    List<String> wrong = new ArrayList<>();
    int cells = 0;
    for (Operation op : operations) {
      String needs = scopeApiMdAsks(op.method(), op.path());
      for (Map.Entry<Kind, String> kind : secrets.entrySet()) {
        // The bad kinds would otherwise lock this address out part-way through.
        lockout.clear();
        HttpResponse<String> r = send(op, kind.getValue());
        cells++;
        int expected = expected(kind.getKey(), needs);
        String cell = op.method() + " " + op.path() + " as " + kind.getKey() + ": ";
        if (expected == 0) {
          if (List.of(401, 403, 429).contains(r.statusCode())) {
            wrong.add(cell + "expected to pass security, got " + r.statusCode() + " " + r.body());
          }
          continue;
        }
        if (r.statusCode() != expected) {
          wrong.add(cell + "expected " + expected + ", got " + r.statusCode() + " " + r.body());
          continue;
        }
        if (!r.headers().firstValue("Content-Type").orElse("").equals("application/problem+json")
            || JSON.readTree(r.body()).get("status").asInt() != expected) {
          wrong.add(cell + "not a problem+json " + expected + ": " + r.body());
        }
        if (!r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer")) {
          wrong.add(cell + "no WWW-Authenticate: Bearer");
        }
        if (expected == 403 && !r.body().contains("'" + needs + "' scope")) {
          wrong.add(cell + "the 403 does not name the scope " + needs + ": " + r.body());
        }
      }
    }
    lockout.clear();
    System.out.println(
        "scope matrix: "
            + operations.size()
            + " operations x "
            + secrets.size()
            + " kinds of caller = "
            + cells
            + " calls");
    assertThat(wrong).isEmpty();
    assertThat(cells).isEqualTo(operations.size() * Kind.values().length);
  }

  @Test
  void shouldKeepHealthAndTheApiDescriptionOpenAndEverythingElseClosed() throws Exception {
    for (String open :
        List.of(
            "/actuator/health", "/actuator/health/liveness", "/v3/api-docs", "/swagger-ui.html")) {
      HttpResponse<String> r =
          newClient(null)
              .send(
                  HttpRequest.newBuilder(uri(open)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(open).isNotIn(401, 403);
    }
    // "/" only leads a person to the console, which asks them to sign in.
    HttpResponse<String> root =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build()
            .send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(root.uri().getPath()).isEqualTo("/console/login");
    for (String closed :
        List.of("/actuator/info", "/actuator/prometheus", "/api/v1/nothing-here", "/api/v2/x")) {
      HttpResponse<String> r =
          newClient(null)
              .send(
                  HttpRequest.newBuilder(uri(closed)).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(closed).isEqualTo(401);
    }
  }

  @Test
  void shouldServeMetricsToEveryScopeFromReadUp() throws Exception {
    Tokens tokens = new Tokens(http, port);
    for (String scope : List.of("read", "write", "admin")) {
      HttpResponse<String> r =
          newClient(tokens.secret(scope))
              .send(
                  HttpRequest.newBuilder(uri("/actuator/prometheus")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(scope).isEqualTo(200);
      assertThat(r.body()).as(scope).contains("graft_runs");
    }
  }

  @Test
  void shouldJudgeAPathSpelledWithEscapesAsTheHandlerItReaches() throws Exception {
    String read = new Tokens(http, port).secret("read");
    // %74 is 't': Spring MVC decodes it and would route this to the token listing.
    for (String path :
        List.of("/api/v1/%74okens", "/api/v1/tokens/", "/api/v1/./tokens", "/api/v1//tokens")) {
      HttpResponse<String> r =
          newClient(read)
              .send(
                  HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isIn(400, 403, 404);
    }
  }

  private static int expected(Kind kind, String needs) {
    return switch (kind) {
      case NO_TOKEN, MALFORMED, EXPIRED, REVOKED -> 401;
      case READ -> needs.equals("read") ? 0 : 403;
      case WRITE -> needs.equals("admin") ? 403 : 0;
      case ADMIN -> 0;
    };
  }

  private HttpResponse<String> send(Operation op, String token) throws Exception {
    String path =
        op.path()
            .replace("{id}", UUID.randomUUID().toString())
            .replace("{name}", "matrix-no-such-model")
            .replace("{version}", "1")
            .replace("{alias}", "matrix-alias")
            .replace("{format}", "safetensors")
            .replaceAll("\\{[^}]+}", "x");
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
    if (op.contentType() != null) {
      String type = op.contentType();
      if (type.startsWith("multipart/")) {
        type = "multipart/form-data; boundary=matrix";
      }
      b.header("Content-Type", type);
      body = HttpRequest.BodyPublishers.ofString(op.contentType().contains("json") ? "{}" : "");
    }
    b.method(op.method(), body);
    return newClient(token).send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
