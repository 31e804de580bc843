package dev.graft.format.torchscript;

import dev.graft.format.TensorInfo;

/**
 * One {@code state_dict()} entry of a TorchScript archive: the tensor's initial value in the file
 * and whether the module declares it as a parameter or a buffer.
 *
 * @param tensor the tensor; its {@code parameter} flag agrees with {@code kind}, and {@code
 *     requiresGrad} is the parameter's saved flag ({@code null} for buffers)
 * @param kind whether the owning module lists it in {@code __parameters__} or {@code __buffers__}
 */
public record TorchScriptEntry(TensorInfo tensor, Kind kind) {

  /** How a module holds a tensor. */
  public enum Kind {
    /** Listed in the module's {@code __parameters__}: an {@code nn.Parameter}. */
    PARAMETER,
    /** Listed in the module's {@code __buffers__}: a registered buffer. */
    BUFFER
  }

  /** The state-dict key, e.g. {@code encoder.0.weight}. */
  public String key() {
    return tensor.key();
  }
}
