package dev.graft.format;

import java.util.Arrays;
import java.util.Optional;

/**
 * The callables a restricted pickle may name with {@code GLOBAL}/{@code STACK_GLOBAL}, beside the
 * {@code torch.*Storage} classes ({@link StorageType}) and {@code torch.<dtype>} objects ({@link
 * DTypeRef}). Each is interpreted by Graft; none is ever looked up or run.
 */
public enum AllowedGlobal {
  ORDERED_DICT("collections", "OrderedDict"),
  REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"),
  REBUILD_PARAMETER("torch._utils", "_rebuild_parameter"),
  REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state"),
  TORCH_SIZE("torch", "Size"),
  TORCH_DEVICE("torch", "device"),
  CODECS_ENCODE("_codecs", "encode"),
  SET("builtins", "set"),
  FROZENSET("builtins", "frozenset"),
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
   * @return an {@link AllowedGlobal}, {@link StorageType} or {@link DTypeRef}; empty when not
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
        return Optional.of(new StorageType(name, DType.UINT8));
      }
      if (m.equals("torch")) {
        Optional<DType> storage = DType.byStorageClass(name);
        if (storage.isPresent()) {
          return Optional.of(new StorageType(name, storage.get()));
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
