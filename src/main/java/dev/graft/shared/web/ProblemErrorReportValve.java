package dev.graft.shared.web;

import java.io.IOException;
import java.io.Writer;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Tomcat's own error answers as problem+json instead of its HTML page: requests Tomcat refuses
 * before any servlet runs (a request line or header too large, a malformed header, a bad chunked
 * body) and errors no handler turned into a response. Installed on the host by {@link
 * TomcatTuning}; Tomcat instantiates it by class name, hence public.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    java.util.concurrent.atomic.AtomicBoolean io = new java.util.concurrent.atomic.AtomicBoolean();
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, io);
    if (!io.get()) {
      return;
    }
    String json =
        Problems.json(
            status,
            status >= 500 ? "internal" : "bad-request",
            title(status),
            detail(status, throwable));
    try {
      response.setContentType("application/problem+json");
      response.setCharacterEncoding("UTF-8");
      Writer w = response.getReporter();
      if (w != null) {
        w.write(json);
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException ignored) {
      // The client is gone or the response cannot be written: nothing more to say.
    }
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad request";
      case 404 -> "Not found";
      case 405 -> "Method not allowed";
      case 408 -> "Request timeout";
      case 413 -> "Payload too large";
      case 414 -> "URI too long";
      case 431 -> "Request header fields too large";
      case 501 -> "Not implemented";
      case 505 -> "HTTP version not supported";
      default -> status >= 500 ? "Internal error" : "Bad request";
    };
  }

  // Never the exception's text: it may carry request bytes or internals.
  private static String detail(int status, Throwable t) {
    return switch (status) {
      case 400 ->
          "the request could not be parsed (malformed request line, header or chunked body, or"
              + " a request line or header larger than the server accepts)";
      case 404 -> "no such resource";
      case 408 -> "the request was not received in time";
      case 413 -> "the request is larger than the server accepts";
      case 414 -> "the request URI is longer than the server accepts";
      case 431 -> "the request headers are larger than the server accepts";
      default ->
          status >= 500
              ? "the server failed to handle the request; the failure is logged"
              : "the request was refused (HTTP " + status + ")";
    };
  }
}
