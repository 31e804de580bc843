package dev.graft.shared.web;

import dev.graft.shared.GraftProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A worker-only process ({@code graft.roles=worker}) serves no API: only the actuator endpoints
 * stay up, for liveness and readiness probes. Ordered before the security filter chain, so such a
 * process answers 404 whether or not a token comes with the call.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 30)
class ApiRoleFilter extends OncePerRequestFilter {

  private final boolean api;

  ApiRoleFilter(GraftProperties properties) {
    this.api = properties.api();
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (api || request.getRequestURI().startsWith("/actuator")) {
      chain.doFilter(request, response);
      return;
    }
    response.setStatus(HttpServletResponse.SC_NOT_FOUND);
    response.setContentType("application/problem+json");
    response
        .getWriter()
        .write(
            "{\"type\":\"https://graft.dev/problems/not-found\",\"title\":\"Not found\",\"status\":404,"
                + "\"detail\":\"this process runs only the worker role (graft.roles=worker) and serves no API\"}");
  }
}
