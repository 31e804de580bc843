package dev.graft.shared.web;

import dev.graft.format.FormatException;
import dev.graft.shared.FileRejected;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.NotFound;
import dev.graft.shared.RequestBodyRefused;
import dev.graft.shared.ResourceChanged;
import dev.graft.shared.StateConflict;
import dev.graft.shared.TooManyUploads;
import dev.graft.shared.UnknownReference;
import dev.graft.shared.UploadStalled;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * The one place where failures become HTTP answers: {@code application/problem+json} with a type, a
 * title, the status and a detail a person can act on; never a stack trace.
 *
 * <p>Services throw exceptions named as facts and know nothing of HTTP; this is the whole mapping
 * (each type is {@code https://graft.dev/problems/} plus the name given):
 *
 * <ul>
 *   <li>{@link InvalidInput}: 400 {@code bad-request}, {@code errors[0].field} naming the value (an
 *       unknown query parameter too, see {@link UnknownQueryParameters});
 *   <li>{@link NotFound} ({@code CheckpointNotFound}, {@code ArchitectureNotFound}, {@code
 *       ModelVersionNotFound}, {@code RunNotFound}): 404 {@code not-found};
 *   <li>{@link StateConflict} ({@code StillInUse}, {@code IdempotencyKeyReused}, {@code
 *       RunAlreadyEnded}): 409 {@code conflict};
 *   <li>{@link ResourceChanged} (a stale {@code If-Match}): 412 {@code precondition-failed};
 *   <li>{@link UnknownReference}: 422 {@code unknown-reference}, {@code errors[0].field} naming the
 *       body field;
 *   <li>{@link dev.graft.plan.LoadOptionsRejected}: 422 {@code options-rejected}, {@code
 *       errors[0].field} {@code options.<option>};
 *   <li>{@link dev.graft.plan.SourcesRejected}: 422 {@code sources-rejected}, {@code
 *       errors[0].field} {@code sources[i].<field>};
 *   <li>{@link FileRejected}: 422 {@code file-rejected} (413 for an exceeded limit), with the
 *       reader's {@code reason};
 *   <li>{@link dev.graft.storage.BlobStore.TooLarge} and a too large {@link RequestBodyRefused}:
 *       413 {@code payload-too-large};
 *   <li>{@link RequestBodyRefused} for its content, a malformed multipart body or stream, an
 *       aborted request: 400 {@code bad-request};
 *   <li>{@link UploadStalled}: 408 {@code upload-stalled};
 *   <li>{@link TooManyUploads}: 429 {@code too-many-uploads} with {@code Retry-After};
 *   <li>{@code TooManyStreams}: 429 {@code too-many-streams} with {@code Retry-After};
 *   <li>{@link dev.graft.storage.BlobStore.BlobMissing} (deleted while being fetched): 404 {@code
 *       not-found};
 *   <li>Spring MVC's own (unreadable body, missing parameter, wrong method): their status, {@code
 *       bad-request} for a 4xx, the body field in {@code errors} where Jackson names one;
 *   <li>anything else: 500 {@code internal}, logged and never described.
 * </ul>
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler implements ProblemDescriptions {

  private static final org.springframework.web.method.annotation.ExceptionHandlerMethodResolver
      HANDLERS =
          new org.springframework.web.method.annotation.ExceptionHandlerMethodResolver(
              ProblemDetailsAdvice.class);

  private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);
  private static final String TYPE_BASE = "https://graft.dev/problems/";

  @ExceptionHandler(FileRejected.class)
  ResponseEntity<Object> fileRejected(FileRejected e) {
    FormatException cause = e.cause();
    HttpStatus status =
        cause.kind() == FormatException.Kind.LIMIT_EXCEEDED
            ? HttpStatus.CONTENT_TOO_LARGE
            : HttpStatus.UNPROCESSABLE_CONTENT;
    ProblemDetail p = problem(status, "file-rejected", e.title(), cause.getMessage());
    p.setProperty("reason", cause.kind().name());
    return response(p);
  }

  @ExceptionHandler(NotFound.class)
  ResponseEntity<Object> notFound(NotFound e) {
    return response(problem(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage()));
  }

  @ExceptionHandler(dev.graft.storage.BlobStore.BlobMissing.class)
  ResponseEntity<Object> blobMissing(dev.graft.storage.BlobStore.BlobMissing e) {
    // Only reachable when the row was deleted between being read and the blob being opened: from
    // the
    // client's side the resource is gone.
    return response(
        problem(
            HttpStatus.NOT_FOUND,
            "not-found",
            "Not found",
            "the content was deleted while it was being fetched"));
  }

  @ExceptionHandler(UnknownReference.class)
  ResponseEntity<Object> unknownReference(UnknownReference e) {
    ProblemDetail p =
        problem(
            HttpStatus.UNPROCESSABLE_CONTENT,
            "unknown-reference",
            "Unknown reference",
            e.getMessage());
    p.setProperty("errors", List.of(Map.of("field", e.field(), "message", e.getMessage())));
    return response(p);
  }

  @ExceptionHandler(StateConflict.class)
  ResponseEntity<Object> stateConflict(StateConflict e) {
    return response(problem(HttpStatus.CONFLICT, "conflict", "Conflict", e.getMessage()));
  }

  @ExceptionHandler(ResourceChanged.class)
  ResponseEntity<Object> resourceChanged(ResourceChanged e) {
    return response(
        problem(
            HttpStatus.PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition failed",
            e.getMessage()));
  }

  @ExceptionHandler(InvalidInput.class)
  ResponseEntity<Object> invalidInput(InvalidInput e) {
    ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "bad-request", "Bad request", e.getMessage());
    p.setProperty("errors", List.of(Map.of("field", e.field(), "message", e.getMessage())));
    return response(p);
  }

  /**
   * Options that are valid on their own but cannot be applied to these keys (a rule growing a key
   * past the limit, pattern work past its time): the request is well-formed, so 422.
   */
  @ExceptionHandler(dev.graft.plan.LoadOptionsRejected.class)
  ResponseEntity<Object> optionsRejected(dev.graft.plan.LoadOptionsRejected e) {
    String field = e.field().isEmpty() ? "options" : "options." + e.field();
    ProblemDetail p =
        problem(
            HttpStatus.UNPROCESSABLE_CONTENT,
            "options-rejected",
            "Load options rejected",
            field + ": " + e.reason());
    p.setProperty("errors", List.of(Map.of("field", field, "message", e.reason())));
    return response(p);
  }

  /** A request's {@code sources} that cannot be used: its field is the body's own. */
  @ExceptionHandler(dev.graft.plan.SourcesRejected.class)
  ResponseEntity<Object> sourcesRejected(dev.graft.plan.SourcesRejected e) {
    ProblemDetail p =
        problem(
            HttpStatus.UNPROCESSABLE_CONTENT,
            "sources-rejected",
            "Sources rejected",
            e.field() + ": " + e.reason());
    p.setProperty("errors", List.of(Map.of("field", e.field(), "message", e.reason())));
    return response(p);
  }

  @ExceptionHandler(dev.graft.storage.BlobStore.TooLarge.class)
  ResponseEntity<Object> tooLarge(dev.graft.storage.BlobStore.TooLarge e) {
    return response(
        problem(
            HttpStatus.CONTENT_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            e.getMessage()));
  }

  @ExceptionHandler(MultipartFileStream.MalformedMultipart.class)
  ResponseEntity<Object> malformedMultipart(MultipartFileStream.MalformedMultipart e) {
    return response(
        problem(HttpStatus.BAD_REQUEST, "bad-request", "Malformed multipart body", e.getMessage()));
  }

  @ExceptionHandler(TooManyUploads.class)
  ResponseEntity<Object> tooManyUploads(TooManyUploads e) {
    ProblemDetail p =
        problem(
            HttpStatus.TOO_MANY_REQUESTS, "too-many-uploads", "Too many uploads", e.getMessage());
    p.setProperty("retryAfterSeconds", e.retryAfterSeconds());
    return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
        .header(HttpHeaders.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()))
        .contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
        .body(p);
  }

  @ExceptionHandler(dev.graft.shared.TooManyStreams.class)
  ResponseEntity<Object> tooManyStreams(dev.graft.shared.TooManyStreams e) {
    ProblemDetail p =
        problem(
            HttpStatus.TOO_MANY_REQUESTS, "too-many-streams", "Too many streams", e.getMessage());
    p.setProperty("retryAfterSeconds", e.retryAfterSeconds());
    return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
        .header(HttpHeaders.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()))
        .contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
        .body(p);
  }

  @ExceptionHandler(UploadStalled.class)
  ResponseEntity<Object> stalled(UploadStalled e) {
    log.info("upload cut: {}", e.getMessage());
    return response(
        problem(HttpStatus.REQUEST_TIMEOUT, "upload-stalled", "Upload stalled", e.getMessage()));
  }

  @ExceptionHandler(RequestBodyRefused.class)
  ResponseEntity<Object> bodyRefused(RequestBodyRefused e) {
    return response(bodyProblem(e));
  }

  @ExceptionHandler(org.apache.coyote.BadRequestException.class)
  ResponseEntity<Object> unreadableStream(org.apache.coyote.BadRequestException e) {
    log.debug("malformed request body: {}", e.toString());
    return response(
        problem(
            HttpStatus.BAD_REQUEST,
            "bad-request",
            "Malformed request body",
            "the request body could not be read (malformed chunked encoding or a broken stream)"));
  }

  @ExceptionHandler(org.apache.catalina.connector.ClientAbortException.class)
  ResponseEntity<Object> clientGone(org.apache.catalina.connector.ClientAbortException e) {
    // The client closed the connection: an everyday event for uploads and downloads, not a fault.
    log.debug("client aborted the request: {}", e.toString());
    return response(
        problem(
            HttpStatus.BAD_REQUEST,
            "bad-request",
            "Request aborted",
            "the connection was closed before the request was complete"));
  }

  @ExceptionHandler({
    org.springframework.dao.DataAccessResourceFailureException.class,
    org.springframework.transaction.CannotCreateTransactionException.class,
    org.springframework.dao.TransientDataAccessException.class,
    dev.graft.storage.BlobStore.StoreUnavailable.class
  })
  ResponseEntity<Object> dependencyUnavailable(Exception e) {
    String what = dev.graft.shared.Outages.cause(e).orElse("the database cannot be reached");
    log.warn("answering 503: {} ({})", what, e.toString());
    return unavailable(unavailableDetail(what));
  }

  /** The detail of a 503: what cannot be reached, and what the client should do. */
  static String unavailableDetail(String what) {
    return what + "; nothing was stored, try again shortly";
  }

  /** Seconds a client is asked to wait after a 503. */
  static final int RETRY_AFTER_SECONDS = 5;

  private static ResponseEntity<Object> unavailable(String detail) {
    ProblemDetail p =
        problem(HttpStatus.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail);
    if (RequestIds.current() != null) {
      p.setProperty("requestId", RequestIds.current());
    }
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, String.valueOf(RETRY_AFTER_SECONDS))
        .contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
        .body(p);
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Object> unexpected(Exception e) {
    if (causedBy(e, org.apache.catalina.connector.ClientAbortException.class) != null) {
      log.debug("client aborted the request: {}", e.toString());
      return null;
    }
    // An outage that arrives wrapped (a commit that lost its connection, an UncheckedIOException
    // around the store's failure) is still an outage: 503, not 500.
    java.util.Optional<String> outage = dev.graft.shared.Outages.cause(e);
    if (outage.isPresent()) {
      log.warn("answering 503: {} ({})", outage.get(), e.toString());
      return unavailable(unavailableDetail(outage.get()));
    }
    log.error("Unexpected failure", e);
    return response(
        problem(
            HttpStatus.INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "The server failed to handle the request; the failure is logged."));
  }

  @Override
  protected ResponseEntity<Object> handleExceptionInternal(
      Exception ex,
      Object body,
      HttpHeaders headers,
      HttpStatusCode statusCode,
      WebRequest request) {
    // Spring's own exceptions (missing parameter, unreadable body, wrong method) keep their status
    // but
    // get the same problem shape and content type as ours.
    ResponseEntity<Object> base =
        super.handleExceptionInternal(ex, body, headers, statusCode, request);
    if (base == null || !(base.getBody() instanceof ProblemDetail p)) {
      return base;
    }
    RequestBodyRefused refused = causedBy(ex, RequestBodyRefused.class);
    if (refused != null) {
      return response(bodyProblem(refused));
    }
    if (ex instanceof org.springframework.http.converter.HttpMessageNotReadableException) {
      // Say what in the body is wrong (Jackson names the field and position), never a stack trace.
      Throwable root = ex;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String message =
          root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("");
      p.setDetail(Problems.cap("the request body could not be read: " + message));
      String[] located = bodyField(ex);
      if (located != null) {
        p.setDetail(Problems.cap(located[0] + ": " + located[1]));
        p.setProperty("errors", List.of(Map.of("field", located[0], "message", located[1])));
      }
    }
    if (p.getType() == null || p.getType().toString().equals("about:blank")) {
      p.setType(
          URI.create(TYPE_BASE + (statusCode.is4xxClientError() ? "bad-request" : "internal")));
    }
    HttpHeaders h = new HttpHeaders();
    h.putAll(base.getHeaders());
    h.setContentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON);
    return new ResponseEntity<>(p, h, base.getStatusCode());
  }

  private static ProblemDetail bodyProblem(RequestBodyRefused e) {
    return e.tooLarge()
        ? problem(
            HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large", e.getMessage())
        : problem(HttpStatus.BAD_REQUEST, "bad-request", "Bad request", e.getMessage());
  }

  private static <T extends Throwable> T causedBy(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  /**
   * The body field a failure to read a body points at, as {@code options.keyRules[3].replacement}
   * or {@code entries[7].shape}, and what is wrong with it; {@code null} when Jackson names no
   * place. The path is Jackson's; a {@link dev.graft.plan.LoadOptionsRejected} thrown while the
   * options were built adds the option inside them.
   */
  private static String[] bodyField(Throwable ex) {
    String path = null;
    String message = null;
    for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (path == null
          && t instanceof tools.jackson.core.JacksonException j
          && !j.getPath().isEmpty()) {
        StringBuilder b = new StringBuilder();
        for (tools.jackson.core.JacksonException.Reference r : j.getPath()) {
          if (r.getPropertyName() != null) {
            b.append(b.length() == 0 ? "" : ".").append(r.getPropertyName());
          } else if (r.getIndex() >= 0) {
            b.append('[').append(r.getIndex()).append(']');
          }
        }
        path = b.toString();
        String original = j.getOriginalMessage();
        message = original == null ? "" : original.lines().findFirst().orElse("");
      }
      if (t instanceof dev.graft.plan.LoadOptionsRejected r && path != null) {
        path = r.field().isEmpty() ? path : path.isEmpty() ? r.field() : path + "." + r.field();
        message = r.reason();
        break;
      }
    }
    if (path == null || path.isEmpty()) {
      return null;
    }
    return new String[] {
      path, message.length() > 500 ? message.substring(0, 500) + "..." : message
    };
  }

  private static ProblemDetail problem(
      HttpStatus status, String type, String title, String detail) {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(status, Problems.cap(detail));
    p.setType(URI.create(TYPE_BASE + type));
    p.setTitle(title);
    return p;
  }

  private static ResponseEntity<Object> response(ProblemDetail p) {
    if (p.getStatus() >= 500 && RequestIds.current() != null) {
      // The id the logs of this request carry, for the operator the client reports it to.
      p.setProperty("requestId", RequestIds.current());
    }
    return ResponseEntity.status(p.getStatus())
        .contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
        .body(p);
  }

  /** Runs the handler this advice has for the exception and returns its problem. */
  @Override
  public ProblemDetail describe(Exception e, WebRequest request) {
    java.lang.reflect.Method handler = HANDLERS.resolveMethod(e);
    Object answer = null;
    if (handler != null) {
      try {
        answer =
            handler.getParameterCount() == 1
                ? handler.invoke(this, e)
                : handler.invoke(this, e, request);
      } catch (ReflectiveOperationException failed) {
        log.error("Describing a failure failed", failed);
      }
    }
    if (answer instanceof ResponseEntity<?> r && r.getBody() instanceof ProblemDetail p) {
      return p;
    }
    return problem(
        HttpStatus.INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "The server failed to handle the request; the failure is logged.");
  }
}
