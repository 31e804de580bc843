package dev.graft.shared.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams one file part out of a {@code multipart/form-data} body without buffering it in memory or
 * in a temporary file, so a multipart upload costs what a raw one does.
 *
 * <p>Parts before the wanted one are skipped; the returned stream ends where the part ends.
 */
public final class MultipartFileStream {

  private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(\"([^\"]+)\"|([^;\\s]+))");
  private static final Pattern DISPOSITION_NAME =
      Pattern.compile("(?i)(?:^|;)\\s*name=\"([^\"]*)\"");
  private static final Pattern DISPOSITION_FILENAME =
      Pattern.compile("(?i);\\s*filename=\"([^\"]*)\"");
  private static final int MAX_HEADER_LINE = 8192;
  private static final int MAX_HEADERS = 32;
  private static final int MAX_PARTS = 64;

  /**
   * The part that was found.
   *
   * @param filename the part's {@code filename}, or {@code null}
   * @param body the part's bytes; reading past its end yields end-of-stream
   */
  public record Part(String filename, InputStream body) {}

  private MultipartFileStream() {}

  /**
   * Finds the part named {@code name}.
   *
   * @param contentType the request's Content-Type, with its boundary
   * @param in the request body
   * @param name the form field name, e.g. {@code file}
   * @throws MalformedMultipart when the body is not well-formed multipart or has no such part
   */
  public static Part find(String contentType, InputStream in, String name) throws IOException {
    Matcher m = BOUNDARY.matcher(contentType == null ? "" : contentType);
    if (!m.find()) {
      throw new MalformedMultipart("Content-Type multipart/form-data has no boundary parameter");
    }
    String boundary = m.group(2) != null ? m.group(2) : m.group(3);
    Scanner s = new Scanner(in, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1));
    // The body starts with "--boundary", which is the delimiter without its leading CRLF.
    s.primeLeadingCrlf();
    s.skipPart(); // the preamble
    for (int part = 0; part < MAX_PARTS; part++) {
      if (s.afterDelimiterIsFinal()) {
        break;
      }
      String disposition = null;
      for (int h = 0; ; h++) {
        if (h > MAX_HEADERS) {
          throw new MalformedMultipart(
              "multipart part " + part + " has more than " + MAX_HEADERS + " headers");
        }
        String line = s.readLine();
        if (line.isEmpty()) {
          break;
        }
        if (line.toLowerCase(Locale.ROOT).startsWith("content-disposition:")) {
          disposition = line.substring("content-disposition:".length());
        }
      }
      if (disposition != null) {
        Matcher n = DISPOSITION_NAME.matcher(disposition);
        if (n.find() && n.group(1).equals(name)) {
          Matcher f = DISPOSITION_FILENAME.matcher(disposition);
          return new Part(f.find() ? f.group(1) : null, s.partStream());
        }
      }
      s.skipPart();
    }
    throw new MalformedMultipart("multipart body has no part named '" + name + "'");
  }

  /**
   * The parts named {@code name}, one after another: each part's stream must be read to its end (or
   * is skipped) before the next is asked for. Parts of other names are skipped.
   *
   * @throws MalformedMultipart when the body is not well-formed multipart
   */
  public static Parts parts(String contentType, InputStream in, String name) throws IOException {
    Matcher m = BOUNDARY.matcher(contentType == null ? "" : contentType);
    if (!m.find()) {
      throw new MalformedMultipart("Content-Type multipart/form-data has no boundary parameter");
    }
    String boundary = m.group(2) != null ? m.group(2) : m.group(3);
    Scanner s = new Scanner(in, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1));
    s.primeLeadingCrlf();
    s.skipPart(); // the preamble
    return new Parts(s, name);
  }

  /** The parts of one name in a multipart body, in order; see {@link #parts}. */
  public static final class Parts {
    private final Scanner s;
    private final String name;
    private int part;
    private InputStream open;

    private Parts(Scanner s, String name) {
      this.s = s;
      this.name = name;
    }

    /**
     * The next part of the name, or {@code null} when the body has no more.
     *
     * @throws MalformedMultipart when the body is malformed or has more than 64 parts
     */
    public Part next() throws IOException {
      if (open != null) {
        // What the caller left of the previous part.
        open.transferTo(OutputStream.nullOutputStream());
        open = null;
      }
      for (; part < MAX_PARTS; part++) {
        if (s.afterDelimiterIsFinal()) {
          return null;
        }
        String disposition = null;
        for (int h = 0; ; h++) {
          if (h > MAX_HEADERS) {
            throw new MalformedMultipart(
                "multipart part " + part + " has more than " + MAX_HEADERS + " headers");
          }
          String line = s.readLine();
          if (line.isEmpty()) {
            break;
          }
          if (line.toLowerCase(Locale.ROOT).startsWith("content-disposition:")) {
            disposition = line.substring("content-disposition:".length());
          }
        }
        if (disposition != null) {
          Matcher n = DISPOSITION_NAME.matcher(disposition);
          if (n.find() && n.group(1).equals(name)) {
            Matcher f = DISPOSITION_FILENAME.matcher(disposition);
            part++;
            open = s.partStream();
            return new Part(f.find() ? f.group(1) : null, open);
          }
        }
        s.skipPart();
      }
      throw new MalformedMultipart("multipart body has more than " + MAX_PARTS + " parts");
    }
  }

  /** The multipart body is not what RFC 7578 describes. */
  public static class MalformedMultipart extends IOException {
    public MalformedMultipart(String message) {
      super(message);
    }
  }

  /** A buffered reader over the body that finds delimiters. */
  private static final class Scanner {
    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buf;
    private int start;
    private int end;
    private boolean eof;

    Scanner(InputStream in, byte[] delimiter) {
      this.in = in;
      this.delimiter = delimiter;
      this.buf = new byte[(1 << 16) + delimiter.length];
    }

    void primeLeadingCrlf() {
      buf[0] = '\r';
      buf[1] = '\n';
      end = 2;
    }

    /**
     * Makes at least {@code n} bytes available unless the body ends first; returns what is there.
     */
    int fill(int n) throws IOException {
      if (end - start >= n || eof) {
        return end - start;
      }
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
      }
      while (end - start < n && !eof) {
        int r = in.read(buf, end, buf.length - end);
        if (r < 0) {
          eof = true;
        } else {
          end += r;
        }
      }
      return end - start;
    }

    /** Index of the delimiter within the buffered bytes, or -1. */
    int findDelimiter() {
      byte first = delimiter[0];
      outer:
      for (int i = start; i <= end - delimiter.length; i++) {
        if (buf[i] != first) {
          continue;
        }
        for (int j = 1; j < delimiter.length; j++) {
          if (buf[i + j] != delimiter[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    /** Reads part bytes into {@code b}; returns -1 at the delimiter, which it consumes. */
    int readPart(byte[] b, int off, int len, boolean[] done) throws IOException {
      while (true) {
        fill(delimiter.length);
        int at = findDelimiter();
        if (at == start) {
          start += delimiter.length;
          done[0] = true;
          return -1;
        }
        int safe = at >= 0 ? at - start : end - start - (delimiter.length - 1);
        if (safe > 0) {
          int n = Math.min(len, safe);
          System.arraycopy(buf, start, b, off, n);
          start += n;
          return n;
        }
        if (eof) {
          throw new MalformedMultipart("multipart body ends before the closing boundary");
        }
        // Not enough bytes to tell part data from a delimiter: read more.
        if (end - start >= buf.length - 1) {
          throw new IllegalStateException("scanner buffer too small");
        }
        fill(end - start + 1);
      }
    }

    void skipPart() throws IOException {
      byte[] sink = new byte[8192];
      boolean[] done = {false};
      while (!done[0]) {
        readPart(sink, 0, sink.length, done);
      }
    }

    /** After a delimiter: {@code --} ends the body, CRLF starts a part. */
    boolean afterDelimiterIsFinal() throws IOException {
      if (fill(2) < 2) {
        throw new MalformedMultipart("multipart body ends right after a boundary");
      }
      byte a = buf[start];
      byte b = buf[start + 1];
      start += 2;
      if (a == '-' && b == '-') {
        return true;
      }
      if (a == '\r' && b == '\n') {
        return false;
      }
      throw new MalformedMultipart("multipart boundary is followed by neither CRLF nor '--'");
    }

    String readLine() throws IOException {
      StringBuilder line = new StringBuilder();
      while (true) {
        if (fill(2) < 2) {
          throw new MalformedMultipart("multipart headers end before a blank line");
        }
        byte c = buf[start];
        if (c == '\r' && buf[start + 1] == '\n') {
          start += 2;
          return line.toString();
        }
        line.append((char) (c & 0xff));
        start++;
        if (line.length() > MAX_HEADER_LINE) {
          throw new MalformedMultipart(
              "multipart header line longer than " + MAX_HEADER_LINE + " bytes");
        }
      }
    }

    InputStream partStream() {
      return new InputStream() {
        private final boolean[] done = {false};

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (done[0]) {
            return -1;
          }
          if (len == 0) {
            return 0;
          }
          return readPart(b, off, len, done);
        }
      };
    }
  }
}
