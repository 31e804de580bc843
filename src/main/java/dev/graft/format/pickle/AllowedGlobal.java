package dev.graft.format.pickle;

import dev.graft.format.DType;
import java.util.Arrays;
import java.util.Optional;

/**
 * The callables a restricted pickle may name with {@code GLOBAL}/{@code STACK_GLOBAL}, beside the
 * {@code torch.*Storage} classes ({@link StorageClass}) and {@code torch.<dtype>} objects ({@link
 * DTypeRef}). Each is interpreted by Graft; none is ever looked up or run.
 */
enum AllowedGlobal {
  /** An empty {@code collections.OrderedDict()}; state dicts and backward hooks. */
  ORDERED_DICT("collections", "OrderedDict"),
  /** A tensor viewing a storage; becomes a {@link TensorRef}. */
  REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"),
  /** An {@code nn.Parameter} around a tensor; becomes a {@link ParameterRef}. */
  REBUILD_PARAMETER("torch._utils", "_rebuild_parameter"),
  /** A Parameter with Python state, which is ignored; becomes a {@link ParameterRef}. */
  REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state"),
  /** A {@code torch.Size}; becomes a {@link TorchSize}. */
  TORCH_SIZE("torch", "Size"),
  /** A {@code torch.device}; becomes a {@link PickledDevice}. */
  TORCH_DEVICE("torch", "device"),
  /**
   * {@code _codecs.encode(str, 'latin1')}, how protocol 2 pickles bytes; becomes {@code byte[]}.
   */
  CODECS_ENCODE("_codecs", "encode"),
  /** {@code set(items)} of scalars. */
  SET("builtins", "set"),
  /** {@code frozenset(items)} of scalars. */
  FROZENSET("builtins", "frozenset"),
  /** {@code complex(real, imag)}; becomes a {@link ComplexNumber}. */
  COMPLEX("builtins", "complex");

  private final String module;
  private final String name;

  AllowedGlobal(String module, String name) {
    this.module = module;
    this.name = name;
  }

  /** The dotted name, e.g. {@code collections.OrderedDict}. */
  public String qualifiedName() {
    return module + "." + name;
  }

  /**
   * Resolves a global to what Graft substitutes for it.
   *
   * @param module the module as the pickle wrote it
   * @param name the attribute as the pickle wrote it
   * @return an {@link AllowedGlobal}, {@link StorageClass} or {@link DTypeRef}; empty when not
   *     allowed
   */
  public static Optional<Object> resolve(String module, String name) {
    // Protocol 2 pickles written by Python 3 spell builtins the Python 2 way.
    String m = module.equals("__builtin__") ? "builtins" : module;
    Optional<Object> callable =
        Arrays.stream(values())
            .filter(g -> g.module.equals(m) && g.name.equals(name))
            .findFirst()
            .map(g -> g);
    if (callable.isPresent()) {
      return callable;
    }
    if (m.equals("torch") || m.equals("torch.storage")) {
      if (name.equals("UntypedStorage")) {
        return Optional.of(new StorageClass(name, DType.UINT8));
      }
      if (m.equals("torch")) {
        Optional<DType> storage = DType.byStorageClass(name);
        if (storage.isPresent()) {
          return Optional.of(new StorageClass(name, storage.get()));
        }
        for (DType d : DType.values()) {
          if (d.torchName().equals(name)) {
            return Optional.of(new DTypeRef(d));
          }
        }
      }
    }
    return Optional.empty();
  }
}
