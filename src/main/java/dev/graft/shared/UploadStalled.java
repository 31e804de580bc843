package dev.graft.shared;

import java.io.IOException;

/**
 * An upload delivered too few bytes for too long ({@code graft.upload.stall-timeout}) and was cut;
 * mapped to 408. An {@link IOException} so that it travels through the readers and writers that
 * consume the request stream.
 */
public class UploadStalled extends IOException {

  public UploadStalled(String message) {
    super(message);
  }
}
