package dev.graft.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/** Who is calling, for the audit log: from the security context and the current request. */
final class Callers {

  /** The actor of changes Graft makes itself (a worker registering a version). */
  static final String SYSTEM = "system";

  /** The actor of a call made without a valid token (and of every call in {@code none} mode). */
  static final String ANONYMOUS = "anonymous";

  private Callers() {}

  /**
   * The caller's name: the token's name or the JWT's subject; {@value #ANONYMOUS} in a request
   * without one; {@value #SYSTEM} outside any request.
   */
  static String actor() {
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    if (auth != null && auth.isAuthenticated() && !(auth instanceof AnonymousAuthenticationToken)) {
      return auth.getName();
    }
    return request() == null ? SYSTEM : ANONYMOUS;
  }

  /** The current request's remote address, or {@code null} outside any request. */
  static String remoteAddr() {
    HttpServletRequest request = request();
    return request == null ? null : request.getRemoteAddr();
  }

  private static HttpServletRequest request() {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    return attributes instanceof ServletRequestAttributes s ? s.getRequest() : null;
  }
}
