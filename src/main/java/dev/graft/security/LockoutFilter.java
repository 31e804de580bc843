package dev.graft.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Answers 429 to a request that carries credentials from an address {@link BadTokenLockout} has
 * locked out, before its token is looked at. Part of the security filter chain only (not a servlet
 * filter of its own).
 */
final class LockoutFilter extends OncePerRequestFilter {

  private final BadTokenLockout lockout;
  private final ProblemAnswers answers;

  LockoutFilter(BadTokenLockout lockout, ProblemAnswers answers) {
    this.lockout = lockout;
    this.answers = answers;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getHeader("Authorization") != null) {
      long wait = lockout.retryAfterSeconds(request.getRemoteAddr());
      if (wait > 0) {
        answers.throttled(request, response, wait);
        return;
      }
    }
    chain.doFilter(request, response);
  }
}
