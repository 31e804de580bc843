package dev.graft.shared.web;

import org.springframework.http.ProblemDetail;
import org.springframework.web.context.request.WebRequest;

/**
 * The problem an exception becomes, as the API answers it: one mapping from failures to statuses
 * and words, which the console shows on its pages instead of keeping a second copy.
 */
public interface ProblemDescriptions {

  /**
   * The problem the API would answer for this exception: status, title and a detail that says what
   * is wrong and where. Unexpected failures are logged and described only as internal.
   */
  ProblemDetail describe(Exception e, WebRequest request);
}
