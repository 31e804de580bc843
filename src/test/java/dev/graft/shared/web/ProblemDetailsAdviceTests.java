package dev.graft.shared.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.architecture.ArchitectureNotFound;
import dev.graft.checkpoint.CheckpointNotFound;
import dev.graft.registry.ModelVersionNotFound;
import dev.graft.shared.IdempotencyKeyReused;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.StillInUse;
import dev.graft.shared.UnknownReference;
import dev.graft.warmstart.RunAlreadyEnded;
import dev.graft.warmstart.RunNotFound;
import dev.graft.warmstart.RunStatus;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.method.annotation.ExceptionHandlerMethodResolver;

/**
 * The domain failures become the problem answers the API promises: each exception is resolved to
 * its handler the way Spring MVC resolves it, and the answer's status, type, title, detail and
 * {@code errors} are pinned, so a renamed or re-parented exception cannot change what clients see.
 */
class ProblemDetailsAdviceTests {

  private static final UUID ID = UUID.fromString("6f1c2a9e-3b7d-4c52-9a51-0d3e5f7a8b90");

  private final ProblemDetailsAdvice advice = new ProblemDetailsAdvice();
  private final ExceptionHandlerMethodResolver resolver =
      new ExceptionHandlerMethodResolver(ProblemDetailsAdvice.class);

  private ProblemDetail answer(Exception e, int status) throws Exception {
    Method handler = resolver.resolveMethod(e);
    assertThat(handler).as("handler for " + e.getClass().getSimpleName()).isNotNull();
    ResponseEntity<?> r = (ResponseEntity<?>) handler.invoke(advice, e);
    assertThat(r.getStatusCode().value()).isEqualTo(status);
    assertThat(r.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    ProblemDetail p = (ProblemDetail) r.getBody();
    assertThat(p.getStatus()).isEqualTo(status);
    return p;
  }

  @Test
  void shouldAnswerInvalidInputWith400NamingTheField() throws Exception {
    ProblemDetail p = answer(new InvalidInput("output.model", "is required"), 400);
    assertThat(p.getType()).hasToString("https://graft.dev/problems/bad-request");
    assertThat(p.getTitle()).isEqualTo("Bad request");
    assertThat(p.getDetail()).isEqualTo("output.model is required");
    assertThat(p.getProperties())
        .containsEntry(
            "errors",
            List.of(Map.of("field", "output.model", "message", "output.model is required")));
  }

  @Test
  void shouldAnswerAnUnknownReferenceWith422NamingTheBodyField() throws Exception {
    ProblemDetail p =
        answer(new UnknownReference("checkpointId", "checkpoint " + ID + " does not exist"), 422);
    assertThat(p.getType()).hasToString("https://graft.dev/problems/unknown-reference");
    assertThat(p.getTitle()).isEqualTo("Unknown reference");
    assertThat(p.getDetail()).isEqualTo("checkpoint " + ID + " does not exist");
    assertThat(p.getProperties())
        .containsEntry(
            "errors",
            List.of(
                Map.of(
                    "field", "checkpointId", "message", "checkpoint " + ID + " does not exist")));
  }

  @Test
  void shouldAnswerEveryStateConflictWith409() throws Exception {
    Map<Exception, String> details =
        Map.of(
            new StillInUse("checkpoint " + ID + " is used by a queued or running warm-start run"),
            "checkpoint " + ID + " is used by a queued or running warm-start run",
            new IdempotencyKeyReused("k-1", "checkpoint upload (" + ID + ")"),
            "Idempotency-Key 'k-1' was used for another checkpoint upload (" + ID + ")",
            new RunAlreadyEnded(ID, RunStatus.SUCCEEDED),
            "run " + ID + " already ended SUCCEEDED");
    for (Map.Entry<Exception, String> c : details.entrySet()) {
      ProblemDetail p = answer(c.getKey(), 409);
      assertThat(p.getType()).hasToString("https://graft.dev/problems/conflict");
      assertThat(p.getTitle()).isEqualTo("Conflict");
      assertThat(p.getDetail()).isEqualTo(c.getValue());
      assertThat(p.getProperties()).isNull();
    }
  }

  @Test
  void shouldAnswerEveryFeaturesNotFoundWith404() throws Exception {
    Map<Exception, String> details =
        Map.of(
            new CheckpointNotFound(ID),
            "checkpoint " + ID + " does not exist",
            new ArchitectureNotFound(ID),
            "architecture " + ID + " does not exist",
            ModelVersionNotFound.forAlias("m", "prod"),
            "model 'm' has no alias 'prod'",
            new RunNotFound(ID),
            "warm-start run " + ID + " does not exist",
            RunNotFound.withoutReport(ID, RunStatus.QUEUED),
            "run "
                + ID
                + " is QUEUED and has no report yet; a worker writes it when it plans the run");
    for (Map.Entry<Exception, String> c : details.entrySet()) {
      ProblemDetail p = answer(c.getKey(), 404);
      assertThat(p.getType()).hasToString("https://graft.dev/problems/not-found");
      assertThat(p.getTitle()).isEqualTo("Not found");
      assertThat(p.getDetail()).isEqualTo(c.getValue());
    }
  }

  @Test
  void shouldAnswerAnUnreachableDatabaseWith503RetryAfterAndTheRequestId() throws Exception {
    org.slf4j.MDC.put(RequestIds.MDC_KEY, "req-42");
    try {
      Exception e =
          new org.springframework.jdbc.CannotGetJdbcConnectionException(
              "Failed to obtain JDBC Connection");
      Method handler = resolver.resolveMethod(e);
      ResponseEntity<?> r = (ResponseEntity<?>) handler.invoke(advice, e);
      assertThat(r.getStatusCode().value()).isEqualTo(503);
      assertThat(r.getHeaders().getFirst("Retry-After")).isEqualTo("5");
      ProblemDetail p = answer(e, 503);
      assertThat(p.getType()).hasToString("https://graft.dev/problems/unavailable");
      assertThat(p.getDetail()).contains("nothing was stored");
      assertThat(p.getProperties()).containsEntry("requestId", "req-42");
    } finally {
      org.slf4j.MDC.remove(RequestIds.MDC_KEY);
    }
  }

  @Test
  void shouldAnswerAnUnreachableBlobStoreWith503() throws Exception {
    ProblemDetail p =
        answer(
            new dev.graft.storage.BlobStore.StoreUnavailable(
                "cannot upload x to S3: connection refused", new java.io.IOException()),
            503);
    assertThat(p.getDetail()).startsWith("cannot upload x to S3: connection refused");
  }

  @Test
  void shouldPutTheRequestIdInAnInternalErrorOnly() throws Exception {
    org.slf4j.MDC.put(RequestIds.MDC_KEY, "req-43");
    try {
      assertThat(answer(new IllegalStateException("boom"), 500).getProperties())
          .containsEntry("requestId", "req-43");
      assertThat(answer(new InvalidInput("x", "is bad"), 400).getProperties())
          .doesNotContainKey("requestId");
    } finally {
      org.slf4j.MDC.remove(RequestIds.MDC_KEY);
    }
  }
}
