package dev.graft.shared;

/** An upload exceeded {@code graft.upload.max-bytes}; mapped to 413. */
public class PayloadTooLarge extends RuntimeException {

  public PayloadTooLarge(String message) {
    super(message);
  }
}
