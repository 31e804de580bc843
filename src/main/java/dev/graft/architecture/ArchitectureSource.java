package dev.graft.architecture;

/** What an architecture was read from; the names are the API's and the database's. */
public enum ArchitectureSource {
  /**
   * A {@code torch.save} of the fresh model's {@code state_dict(keep_vars=True)} (parameters keep
   * their {@code requires_grad}) or of a plain {@code state_dict()}.
   */
  STATE_DICT,
  /** A TorchScript archive: parameters and buffers told apart, and rewritable as an output. */
  TORCHSCRIPT,
  /** A safetensors file: values, but no kinds. */
  SAFETENSORS,
  /** A JSON document: kinds and init schemes, no values. */
  JSON
}
