package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.HttpTest;
import dev.graft.registry.Safetensors;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code graft.security.mode=none}: the explicit opt-out, loudly. (The only test with no checks.)
 */
@ExtendWith(OutputCaptureExtension.class)
class NoneModeTests extends HttpTest {

  @DynamicPropertySource
  static void none(DynamicPropertyRegistry registry) throws IOException {
    String dataDir = Files.createTempDirectory("graft-none-test-").toString();
    registry.add("graft.data-dir", () -> dataDir);
    registry.add("graft.roles", () -> "api");
    registry.add("graft.security.mode", () -> "none");
  }

  @Test
  void shouldWarnAtStartAndLetEveryoneDoEverything(CapturedOutput output) throws Exception {
    assertThat(output.getAll()).contains("graft.security.mode=none: Graft checks no token");

    HttpResponse<String> upload =
        newClient(null)
            .send(
                HttpRequest.newBuilder(uri("/api/v1/checkpoints?name=open"))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Safetensors.unique()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);

    HttpResponse<String> audit =
        newClient(null)
            .send(
                HttpRequest.newBuilder(uri("/api/v1/audit?action=checkpoint.upload")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(audit.statusCode()).isEqualTo(200);
    JsonNode line = JSON.readTree(audit.body()).get("items").get(0);
    assertThat(line.get("actor").asString()).isEqualTo("anonymous");
    assertThat(line.get("resourceId").asString())
        .isEqualTo(JSON.readTree(upload.body()).get("id").asString());

    JsonNode doc = json(get("/v3/api-docs"));
    assertThat(
            doc.at("/components/securitySchemes").isMissingNode()
                || !doc.at("/components/securitySchemes").has("bearer"))
        .isTrue();
    assertThat(doc.has("security")).isFalse();
  }

  @Test
  void shouldOpenTheConsoleWithoutSigningInButKeepCsrfOnItsForms() throws Exception {
    HttpResponse<String> console =
        newClient(null)
            .send(
                HttpRequest.newBuilder(uri("/console")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(console.statusCode()).isEqualTo(200);
    assertThat(console.body()).contains("No sign-in (security mode none)");
    HttpResponse<String> form =
        newClient(null)
            .send(
                HttpRequest.newBuilder(uri("/console/admin/tokens"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("name=x&scopes=read"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(form.statusCode()).isEqualTo(403);
  }
}
