package dev.graft.shared.web;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Errors the servlet container dispatches to {@code /error} (a failure outside any controller, such
 * as a filter's, or a {@code sendError}) answer with problem+json, never Spring Boot's default
 * error body or a stack trace. Not an operation of the API, so not in its OpenAPI document.
 */
@io.swagger.v3.oas.annotations.Hidden
@RestController
class ProblemErrorController implements ErrorController {

  @RequestMapping("${server.error.path:/error}")
  void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int status = code instanceof Integer i && i >= 400 ? i : 500;
    String detail =
        status >= 500
            ? "the server failed to handle the request; the failure is logged"
            : status == 404
                ? "no such resource"
                : brokenBody(request)
                    ? "the request body could not be read (malformed chunked encoding or a broken"
                        + " stream)"
                    : "the request was refused (HTTP " + status + ")";
    String title = status >= 500 ? "Internal error" : status == 404 ? "Not found" : "Bad request";
    Problems.send(
        response,
        status,
        status >= 500 ? "internal" : status == 404 ? "not-found" : "bad-request",
        title,
        detail);
  }

  private static boolean brokenBody(HttpServletRequest request) {
    for (Object t = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        t instanceof Throwable e;
        t = e.getCause() == e ? null : e.getCause()) {
      if (t instanceof org.apache.coyote.BadRequestException) {
        return true;
      }
    }
    return false;
  }
}
