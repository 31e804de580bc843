package dev.graft.shared.web;

import dev.graft.storage.BlobStore;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;

/**
 * Sends a stored blob as a download: {@code ETag} is its SHA-256, {@code Content-Length} is exact,
 * a single {@code Range} is honoured with 206 (416 when it cannot be satisfied), {@code
 * If-None-Match} with 304, and the bytes stream from the store without buffering.
 */
public final class BlobDownload {

  private static final Pattern RANGE = Pattern.compile("^bytes=(\\d*)-(\\d*)$");

  private BlobDownload() {}

  /**
   * Writes the blob, or the requested range of it, to the response.
   *
   * @param contentType the media type to declare
   * @param filename the suggested file name, or {@code null}
   */
  public static void send(
      BlobStore store,
      String sha256,
      String contentType,
      String filename,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    // Open before anything is sized or sent: once open, the bytes stay readable to the end even if
    // the blob is collected meanwhile (a deleted version), so a download is whole or never starts.
    try (SeekableByteChannel ch = store.open(sha256)) {
      send(ch, sha256, contentType, filename, request, response);
    }
  }

  private static void send(
      SeekableByteChannel ch,
      String sha256,
      String contentType,
      String filename,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    long size = ch.size();
    String etag = "\"" + sha256 + "\"";
    response.setHeader(HttpHeaders.ETAG, etag);
    response.setHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
    String inm = request.getHeader(HttpHeaders.IF_NONE_MATCH);
    if (inm != null && (inm.trim().equals("*") || inm.contains(etag))) {
      response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
      return;
    }
    long from = 0;
    long to = size - 1;
    String range = request.getHeader(HttpHeaders.RANGE);
    String ifRange = request.getHeader(HttpHeaders.IF_RANGE);
    boolean partial = false;
    if (range != null && (ifRange == null || ifRange.equals(etag))) {
      Matcher m = RANGE.matcher(range.trim());
      // Several ranges are legal HTTP, but one range is all a download client needs; anything else
      // is
      // answered with the whole file, as RFC 9110 allows.
      if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
        try {
          if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2));
            from = Math.max(0, size - suffix);
          } else {
            from = Long.parseLong(m.group(1));
            if (!m.group(2).isEmpty()) {
              to = Math.min(to, Long.parseLong(m.group(2)));
            }
          }
        } catch (NumberFormatException e) {
          from = size; // unsatisfiable below
        }
        if (from >= size || from > to || size == 0) {
          response.setHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
          Problems.send(
              response,
              HttpServletResponse.SC_REQUESTED_RANGE_NOT_SATISFIABLE,
              "range-not-satisfiable",
              "Range not satisfiable",
              "the range "
                  + Problems.quoteInput(range)
                  + " lies outside the file, which holds "
                  + size
                  + " bytes");
          return;
        }
        partial = true;
      }
    }
    long length = size == 0 ? 0 : to - from + 1;
    response.setStatus(
        partial ? HttpServletResponse.SC_PARTIAL_CONTENT : HttpServletResponse.SC_OK);
    if (partial) {
      response.setHeader(HttpHeaders.CONTENT_RANGE, "bytes " + from + "-" + to + "/" + size);
    }
    response.setContentType(contentType);
    response.setContentLengthLong(length);
    if (filename != null) {
      response.setHeader(
          HttpHeaders.CONTENT_DISPOSITION,
          "attachment; filename=\"" + filename.replaceAll("[^A-Za-z0-9._-]", "_") + "\"");
    }
    if ("HEAD".equals(request.getMethod()) || length == 0) {
      return;
    }
    ch.position(from);
    InputStream in = Channels.newInputStream(ch);
    OutputStream out = response.getOutputStream();
    byte[] buf = new byte[64 * 1024];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("blob " + sha256 + " ended " + left + " bytes early");
      }
      out.write(buf, 0, n);
      left -= n;
    }
    out.flush();
  }
}
