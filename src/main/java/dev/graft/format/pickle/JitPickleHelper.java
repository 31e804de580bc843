package dev.graft.format.pickle;

import java.util.Optional;

/**
 * The {@code torch.jit._pickle} helpers TorchScript's pickler writes around typed lists and
 * aggregates (e.g. a {@code List[int]} module attribute becomes {@code build_intlist([1, 2])}).
 * Graft interprets each as "return the argument", after checking its shape; nothing is run.
 * Resolved only in TorchScript mode.
 */
enum JitPickleHelper {
  BUILD_INTLIST("build_intlist"),
  BUILD_DOUBLELIST("build_doublelist"),
  BUILD_BOOLLIST("build_boollist"),
  BUILD_TENSORLIST("build_tensorlist"),
  RESTORE_TYPE_TAG("restore_type_tag");

  static final String MODULE = "torch.jit._pickle";

  private final String name;

  JitPickleHelper(String name) {
    this.name = name;
  }

  String qualifiedName() {
    return MODULE + "." + name;
  }

  static Optional<JitPickleHelper> resolve(String module, String name) {
    if (!module.equals(MODULE)) {
      return Optional.empty();
    }
    for (JitPickleHelper h : values()) {
      if (h.name.equals(name)) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }
}
