package dev.graft.shared.web;

/**
 * Texts and references the controllers' OpenAPI annotations share: the response headers defined
 * once in the document's components (see {@code OpenApiDocument}) and the descriptions of the
 * headers and parameters every creating call or download takes.
 */
public final class ApiDocs {

  /** {@code Location} of a created resource. */
  public static final String LOCATION = "#/components/headers/Location";

  /** {@code ETag}: a download's SHA-256, or a JSON resource's state. */
  public static final String ETAG = "#/components/headers/ETag";

  /** {@code Content-Range} of a partial download or an unsatisfiable range. */
  public static final String CONTENT_RANGE = "#/components/headers/Content-Range";

  /** {@code Accept-Ranges} of a download. */
  public static final String ACCEPT_RANGES = "#/components/headers/Accept-Ranges";

  /** {@code Content-Disposition} of a download. */
  public static final String CONTENT_DISPOSITION = "#/components/headers/Content-Disposition";

  /** {@code Retry-After} of a refusal to take more uploads now. */
  public static final String RETRY_AFTER = "#/components/headers/Retry-After";

  /** The {@code Idempotency-Key} request header. */
  public static final String IDEMPOTENCY_KEY =
      "Makes a retry safe: the same key and request answer as the first call did (same status,"
          + " same body); the same key with another request is 409. At most 255 characters.";

  /** The {@code Range} request header of a download. */
  public static final String RANGE =
      "One byte range, e.g. bytes=0-1023 or bytes=-1024; answered with 206, or 416 when it cannot"
          + " be satisfied";

  /** The {@code If-None-Match} request header of a download. */
  public static final String IF_NONE_MATCH =
      "The ETag of a copy the client holds: 304 without a body when it is still current";

  /** The {@code If-Range} request header of a download. */
  public static final String IF_RANGE =
      "Honour Range only when the file's ETag is still this one; otherwise send the whole file";

  /** The {@code If-Match} request header of an edit. */
  public static final String IF_MATCH =
      "The ETag the client last read: the edit is refused with 412 when the resource has changed"
          + " since; * matches any state";

  /** How uploads are sent, for the upload operations' descriptions. */
  public static final String UPLOAD_BODY =
      "The file is the multipart/form-data part `file`; it is streamed to storage as it arrives"
          + " (no temporary copy, any size). The same path also takes the file as the raw request"
          + " body with `Content-Type: application/octet-stream` (`curl -T`), with the same query"
          + " parameters and answers.";

  private ApiDocs() {}
}
