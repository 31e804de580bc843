package dev.graft.shared.web;

import dev.graft.shared.InvalidInput;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Method;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.BeanUtils;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Refuses a query parameter the API call does not take, with 400 naming it and the ones it takes: a
 * typo such as {@code ?stauts=RUNNING} would otherwise be ignored and answer as if no filter had
 * been asked for. The parameters a call takes are its handler method's {@code @RequestParam}s (and
 * plain simple-typed arguments, which Spring MVC binds the same way), read once per method; a
 * method that takes a {@code Map} of parameters takes any.
 *
 * <p>Only the query string is read, never a form body, so checking costs nothing for uploads.
 */
@Component
class UnknownQueryParameters implements HandlerInterceptor, WebMvcConfigurer {

  private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

  /** The parameters each handler method takes; empty when it takes any. */
  private final Map<Method, Optional<Set<String>>> known = new ConcurrentHashMap<>();

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry.addInterceptor(this).addPathPatterns("/api/**");
  }

  @Override
  public boolean preHandle(
      HttpServletRequest request, HttpServletResponse response, Object handler) {
    String query = request.getQueryString();
    if (query == null || query.isEmpty() || !(handler instanceof HandlerMethod method)) {
      return true;
    }
    Optional<Set<String>> takes = known.computeIfAbsent(method.getMethod(), m -> takes(method));
    if (takes.isEmpty()) {
      return true;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      if (!name.isEmpty() && !takes.get().contains(name)) {
        String quoted = Problems.quoteInput(name);
        throw new InvalidInput(
            quoted.substring(1, quoted.length() - 1),
            "is not a query parameter of this call"
                + (takes.get().isEmpty() ? ", which takes none" : "; it takes " + takes.get()));
      }
    }
    return true;
  }

  private static Optional<Set<String>> takes(HandlerMethod method) {
    Set<String> names = new TreeSet<>();
    String[] discovered = NAMES.getParameterNames(method.getMethod());
    for (MethodParameter p : method.getMethodParameters()) {
      RequestParam rp = p.getParameterAnnotation(RequestParam.class);
      boolean plain =
          p.getParameterAnnotations().length == 0
              && BeanUtils.isSimpleProperty(p.getParameterType());
      if (rp == null && !plain) {
        continue;
      }
      if (rp != null && Map.class.isAssignableFrom(p.getParameterType())) {
        return Optional.empty();
      }
      String name = rp == null ? "" : rp.name();
      if (name.isEmpty() && discovered != null) {
        name = discovered[p.getParameterIndex()];
      }
      names.add(name);
    }
    return Optional.of(names);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return s;
    }
  }
}
