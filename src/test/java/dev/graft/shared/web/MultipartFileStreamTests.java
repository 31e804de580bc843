package dev.graft.shared.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartFileStreamTests {

  private static final String BOUNDARY = "----graftBoundary7MA4YWxkTrZu0gW";

  private static byte[] body(byte[] file, boolean withFieldBefore) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write("preamble to ignore\r\n".getBytes(StandardCharsets.ISO_8859_1));
    if (withFieldBefore) {
      out.write(
          ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
    }
    out.write(
        ("--"
                + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"model.pt\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.write(file);
    out.write(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  private static byte[] readAll(InputStream in, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    int n;
    while ((n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  @Test
  void shouldStreamTheFilePartExactlyWhateverTheBytes() throws IOException {
    Random random = new Random(7);
    byte[] file = new byte[300_000];
    random.nextBytes(file);
    // Bytes that look like the start of a delimiter must pass through untouched.
    byte[] lookalike = ("\r\n--" + BOUNDARY.substring(0, 10)).getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(lookalike, 0, file, 65_530, lookalike.length);
    for (int chunk : new int[] {1, 7, 8192, 1 << 20}) {
      MultipartFileStream.Part part =
          MultipartFileStream.find(
              "multipart/form-data; boundary=" + BOUNDARY,
              new ByteArrayInputStream(body(file, true)),
              "file");
      assertThat(part.filename()).isEqualTo("model.pt");
      assertThat(readAll(part.body(), chunk)).isEqualTo(file);
    }
  }

  @Test
  void shouldReadAnEmptyFilePart() throws IOException {
    MultipartFileStream.Part part =
        MultipartFileStream.find(
            "multipart/form-data; boundary=\"" + BOUNDARY + "\"",
            new ByteArrayInputStream(body(new byte[0], false)),
            "file");
    assertThat(readAll(part.body(), 16)).isEmpty();
  }

  @Test
  void shouldRefuseABodyWithoutTheFilePart() {
    byte[] body =
        ("--"
                + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--"
                + BOUNDARY
                + "--\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(
            () ->
                MultipartFileStream.find(
                    "multipart/form-data; boundary=" + BOUNDARY,
                    new ByteArrayInputStream(body),
                    "file"))
        .isInstanceOf(MultipartFileStream.MalformedMultipart.class)
        .hasMessageContaining("no part named 'file'");
  }

  @Test
  void shouldRefuseATruncatedBody() throws IOException {
    byte[] full = body(new byte[1000], false);
    byte[] cut = java.util.Arrays.copyOf(full, full.length - 30);
    MultipartFileStream.Part part =
        MultipartFileStream.find(
            "multipart/form-data; boundary=" + BOUNDARY, new ByteArrayInputStream(cut), "file");
    assertThatThrownBy(() -> readAll(part.body(), 100))
        .isInstanceOf(MultipartFileStream.MalformedMultipart.class)
        .hasMessageContaining("ends before the closing boundary");
  }

  @Test
  void shouldRefuseAContentTypeWithoutBoundary() {
    assertThatThrownBy(
            () ->
                MultipartFileStream.find(
                    "multipart/form-data", new ByteArrayInputStream(new byte[0]), "file"))
        .isInstanceOf(MultipartFileStream.MalformedMultipart.class)
        .hasMessageContaining("boundary");
  }
}
