package dev.graft.console;

import dev.graft.shared.GraftProperties;
import dev.graft.shared.web.ProblemDescriptions;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ProblemDetail;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.context.request.WebRequest;

/**
 * What every console page knows: who is looking ({@code viewer}); and how a failure is shown: as
 * the API's problem (same status, same words) on a page of its own, never as a stack trace.
 */
@ControllerAdvice(basePackageClasses = ConsoleAdvice.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class ConsoleAdvice {

  private final ProblemDescriptions problems;
  private final boolean open;

  ConsoleAdvice(ProblemDescriptions problems, GraftProperties properties) {
    this.problems = problems;
    this.open = properties.security().mode() == GraftProperties.SecurityMode.NONE;
  }

  @ModelAttribute("viewer")
  Viewer viewer() {
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    return Viewer.of(auth, open);
  }

  @ExceptionHandler(Exception.class)
  String failed(Exception e, WebRequest request, HttpServletResponse response, Model model) {
    ProblemDetail p = problems.describe(e, request);
    response.setStatus(p.getStatus());
    model.addAttribute("viewer", viewer());
    model.addAttribute("problem", p);
    model.addAttribute("explanation", Explanations.of(p));
    return "console/problem";
  }
}
