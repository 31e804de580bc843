package dev.graft.shared.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes {@code application/problem+json} bodies where Spring MVC's advice cannot: in servlet
 * filters that answer before a controller runs, and in Tomcat's own error pages. The shape is the
 * one {@code ProblemDetailsAdvice} produces: {@code type}, {@code title}, {@code status}, {@code
 * detail}.
 */
public final class Problems {

  /** Base of every problem {@code type} URI. */
  public static final String TYPE_BASE = "https://graft.dev/problems/";

  /** The longest {@code detail} sent; longer ones are cut, so no input can inflate an answer. */
  public static final int MAX_DETAIL = 2000;

  private Problems() {}

  /**
   * Renders a problem as JSON text.
   *
   * @param status the HTTP status
   * @param type the last segment of the type URI ({@code bad-request})
   * @param title a short, fixed title
   * @param detail what is wrong, for a person; cut at {@value #MAX_DETAIL} characters
   */
  public static String json(int status, String type, String title, String detail) {
    return "{\"type\":"
        + quote(TYPE_BASE + type)
        + ",\"title\":"
        + quote(title)
        + ",\"status\":"
        + status
        + ",\"detail\":"
        + quote(cap(detail))
        + "}";
  }

  /**
   * Answers a request with a problem, unless the response was already committed.
   *
   * @throws IOException when the answer cannot be written
   */
  public static void send(
      HttpServletResponse response, int status, String type, String title, String detail)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType("application/problem+json");
    byte[] body = json(status, type, title, detail).getBytes(StandardCharsets.UTF_8);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
    response.flushBuffer();
  }

  /** Cuts a detail to {@value #MAX_DETAIL} characters, marking the cut. */
  public static String cap(String detail) {
    if (detail == null) {
      return "";
    }
    return detail.length() <= MAX_DETAIL ? detail : detail.substring(0, MAX_DETAIL - 3) + "...";
  }

  /** Quotes text from a request for a message; see {@link dev.graft.shared.Texts#quote}. */
  public static String quoteInput(String s) {
    return dev.graft.shared.Texts.quote(s);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff)) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
