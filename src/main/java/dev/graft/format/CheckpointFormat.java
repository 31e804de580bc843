package dev.graft.format;

/** The on-disk formats Graft reads as checkpoints. */
public enum CheckpointFormat {
  /** A {@code torch.save} zip archive (torch 1.6 and later). */
  PYTORCH("pytorch"),
  /** A safetensors file. */
  SAFETENSORS("safetensors");

  private final String wireName;

  CheckpointFormat(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the API: {@code pytorch} or {@code safetensors}. */
  public String wireName() {
    return wireName;
  }
}
