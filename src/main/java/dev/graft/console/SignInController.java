package dev.graft.console;

import dev.graft.security.ConsoleSession;
import dev.graft.security.ConsoleSignIn;
import dev.graft.shared.GraftProperties;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The way in: {@code /} leads to the console, the sign-in page, and the page for a refusal. */
@Controller
@Hidden
class SignInController {

  private final GraftProperties.SecurityMode mode;
  private final ConsoleSignIn ways;

  SignInController(GraftProperties properties, ConsoleSignIn ways) {
    this.mode = properties.security().mode();
    this.ways = ways;
  }

  @GetMapping("/")
  String root() {
    return "redirect:/console";
  }

  @GetMapping("/console/login")
  String signIn(
      @RequestParam(required = false) String refused,
      @RequestParam(required = false) String ended,
      @RequestParam(required = false) String signedOut,
      HttpServletRequest request,
      Model model) {
    if (mode == GraftProperties.SecurityMode.NONE) {
      return "redirect:/console";
    }
    // The reason comes from the session (said once), never from the address.
    jakarta.servlet.http.HttpSession session = request.getSession(false);
    Object reason = session == null ? null : session.getAttribute(ConsoleSession.SIGN_IN_MESSAGE);
    if (session != null) {
      session.removeAttribute(ConsoleSession.SIGN_IN_MESSAGE);
    }
    String why = reason == null ? "no reason was kept" : reason.toString();
    model.addAttribute("mode", mode.name().toLowerCase(Locale.ROOT));
    model.addAttribute("providerPath", ways.providerPath());
    model.addAttribute("refused", refused == null ? null : why);
    model.addAttribute("ended", ended == null ? null : why);
    model.addAttribute("signedOut", signedOut != null);
    return "console/login";
  }

  /** Where the security chain forwards a request the token's scopes do not allow (status 403). */
  @RequestMapping("/console/denied")
  String denied(HttpServletRequest request, Model model) {
    Object needed = request.getAttribute("graftNeededScope");
    model.addAttribute("needed", needed == null ? "a higher" : needed);
    return "console/denied";
  }
}
