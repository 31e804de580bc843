package dev.graft.console;

import dev.graft.shared.web.ProblemDescriptions;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.context.request.WebRequest;

/**
 * The answers of the console's upload endpoints, which the page's script reads: where the stored
 * resource's page is, or the API's problem.
 */
final class Uploads {

  private Uploads() {}

  static ResponseEntity<Object> stored(String page, boolean created) {
    return ResponseEntity.status(created ? 201 : 200)
        .contentType(MediaType.APPLICATION_JSON)
        .body(Map.of("location", page, "created", created));
  }

  @FunctionalInterface
  interface Upload {
    ResponseEntity<Object> run() throws Exception;
  }

  static ResponseEntity<Object> answer(
      Upload upload, ProblemDescriptions problems, WebRequest request) {
    try {
      return upload.run();
    } catch (Exception e) {
      ProblemDetail p = problems.describe(e, request);
      return ResponseEntity.status(p.getStatus())
          .contentType(MediaType.APPLICATION_PROBLEM_JSON)
          .body(p);
    }
  }
}
