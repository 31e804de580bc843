package dev.graft.shared.web;

import dev.graft.shared.GraftProperties;
import dev.graft.shared.RequestBodyRefused;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bounds every JSON request body before the JSON reader builds anything from it: a JSON
 * architecture may hold {@code graft.upload.max-json-bytes}, any other body (options, edits) 1 MiB
 * (413 beyond, counted as the bytes arrive, whatever {@code Content-Length} claims), and no {@code
 * \u0000} escape in any string, which PostgreSQL cannot store in text (400). The scan follows
 * JSON's string and escape syntax byte by byte, so it costs one pass and no memory.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
class JsonBodyGuard extends OncePerRequestFilter {

  /** The most any JSON body but an architecture document may hold. */
  static final long MAX_SMALL_BODY = 1 << 20;

  private final long maxDocumentBytes;

  JsonBodyGuard(GraftProperties properties) {
    this.maxDocumentBytes = properties.upload().maxJsonBytes().toBytes();
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String type = request.getContentType();
    return type == null || !type.toLowerCase(java.util.Locale.ROOT).contains("json");
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    long maxBytes =
        request.getRequestURI().equals("/api/v1/architectures")
                || request.getRequestURI().equals("/api/v1/architectures/documents")
                || request.getRequestURI().equals("/console/architectures/upload")
            ? maxDocumentBytes
            : Math.min(maxDocumentBytes, MAX_SMALL_BODY);
    if (request.getContentLengthLong() > maxBytes) {
      Problems.send(
          response,
          413,
          "payload-too-large",
          "Payload too large",
          "this JSON body may hold at most "
              + maxBytes
              + " bytes; this one declares "
              + request.getContentLengthLong());
      return;
    }
    chain.doFilter(new Guarded(request, maxBytes), response);
  }

  private static final class Guarded extends HttpServletRequestWrapper {
    private final long maxBytes;
    private ServletInputStream stream;

    Guarded(HttpServletRequest request, long maxBytes) {
      super(request);
      this.maxBytes = maxBytes;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        stream = new Scanning(super.getInputStream(), maxBytes);
      }
      return stream;
    }
  }

  /** Counts bytes and follows JSON string syntax to find {@code \u0000} escapes. */
  static final class Scanning extends ServletInputStream {
    private final ServletInputStream in;
    private final long maxBytes;
    private long count;
    private long position;
    // 0: outside a string, 1: in a string, 2: after a backslash, 3..6: in a \\u escape's digits
    private int state;
    private boolean allZero;

    Scanning(ServletInputStream in, long maxBytes) {
      this.in = in;
      this.maxBytes = maxBytes;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        arrived(1);
        scan(b);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = in.read(buf, off, len);
      if (n > 0) {
        arrived(n);
        for (int i = 0; i < n; i++) {
          scan(buf[off + i] & 0xff);
        }
      }
      return n;
    }

    private void arrived(int n) throws RequestBodyRefused {
      count += n;
      if (count > maxBytes) {
        throw new RequestBodyRefused(
            "this JSON body may hold at most " + maxBytes + " bytes", true);
      }
    }

    private void scan(int b) throws RequestBodyRefused {
      position++;
      switch (state) {
        case 0 -> {
          if (b == '"') {
            state = 1;
          }
        }
        case 1 -> {
          if (b == '"') {
            state = 0;
          } else if (b == '\\') {
            state = 2;
          }
        }
        case 2 -> {
          if (b == 'u') {
            state = 3;
            allZero = true;
          } else {
            state = 1;
          }
        }
        default -> {
          allZero &= b == '0';
          if (state == 6) {
            state = 1;
            if (allZero) {
              throw new RequestBodyRefused(
                  "the JSON body holds a \\u0000 (NUL) character in a string at byte "
                      + (position - 1)
                      + "; text with NUL cannot be stored",
                  false);
            }
          } else {
            state++;
          }
        }
      }
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
