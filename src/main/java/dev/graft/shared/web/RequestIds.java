package dev.graft.shared.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every request an id: the caller's {@code X-Request-Id} when it is a short printable token,
 * else a new one. The id is in the MDC ({@code requestId}) for every log line of the request, is
 * echoed in the response's {@code X-Request-Id}, and a 5xx problem carries it, so an operator can
 * find the logs of a failure a client reports.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIds extends OncePerRequestFilter {

  /** The header read and written. */
  public static final String HEADER = "X-Request-Id";

  /** The MDC key. */
  public static final String MDC_KEY = "requestId";

  private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  /** The current request's id, or {@code null} outside a request. */
  public static String current() {
    return MDC.get(MDC_KEY);
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String given = request.getHeader(HEADER);
    String id =
        given != null && ACCEPTED.matcher(given).matches() ? given : UUID.randomUUID().toString();
    response.setHeader(HEADER, id);
    MDC.put(MDC_KEY, id);
    try {
      chain.doFilter(request, response);
    } catch (RuntimeException | ServletException | IOException e) {
      // A filter ahead of the controllers failed for an outage (the token lookup while the
      // database is stopped): the same 503 a controller gives, not the container's 500.
      java.util.Optional<String> outage = dev.graft.shared.Outages.cause(e);
      if (outage.isEmpty() || response.isCommitted()) {
        throw e;
      }
      org.slf4j.LoggerFactory.getLogger(RequestIds.class)
          .warn("answering 503 before the controller: {} ({})", outage.get(), e.toString());
      response.setHeader(
          org.springframework.http.HttpHeaders.RETRY_AFTER,
          String.valueOf(ProblemDetailsAdvice.RETRY_AFTER_SECONDS));
      Problems.send(
          response,
          503,
          "unavailable",
          "Service unavailable",
          ProblemDetailsAdvice.unavailableDetail(outage.get()));
    } finally {
      MDC.remove(MDC_KEY);
    }
  }
}
