package dev.graft.shared.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a request whose path or query carries a NUL character ({@code %00}) with 400 naming the
 * parameter, before any of it reaches a query: PostgreSQL cannot store or compare text holding NUL,
 * so such text would otherwise fail deep inside a statement. (JSON bodies are checked by {@link
 * JsonBodyGuard}; headers with NUL are refused by Tomcat itself.)
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class RequestTextFilter extends OncePerRequestFilter {

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String uri = request.getRequestURI();
    if (uri != null && hasNul(uri)) {
      Problems.send(
          response,
          400,
          "bad-request",
          "Bad request",
          "the request path holds a NUL character (%00), which no name may contain");
      return;
    }
    String query = request.getQueryString();
    if (query != null && hasNul(query)) {
      for (String pair : query.split("&", -1)) {
        if (hasNul(pair)) {
          int eq = pair.indexOf('=');
          String name = eq < 0 ? pair : pair.substring(0, eq);
          Problems.send(
              response,
              400,
              "bad-request",
              "Bad request",
              "query parameter "
                  + Problems.quoteInput(decode(name))
                  + " holds a NUL character (%00), which Graft cannot store or search for");
          return;
        }
      }
    }
    chain.doFilter(request, response);
  }

  private static boolean hasNul(String raw) {
    return raw.indexOf('\0') >= 0 || raw.toLowerCase(Locale.ROOT).contains("%00");
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
