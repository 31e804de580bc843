package dev.graft.plan;

import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.TensorInfo;
import java.util.ArrayList;
import java.util.List;

/** Builds target architectures from what their sources hold. */
public final class TargetArchitectures {

  private TargetArchitectures() {}

  /**
   * The architecture of a fresh model saved as {@code
   * torch.save(model.state_dict(keep_vars=True))}: {@code nn.Parameter}s become {@link
   * EntryKind#PARAMETER} entries with their {@code requires_grad}, plain tensors {@link
   * EntryKind#BUFFER}s that are not trained; every entry has its initial value.
   *
   * <p>A plain {@code state_dict()} holds no parameters at all, so when the file has none the kinds
   * are not known: every entry is {@link EntryKind#UNKNOWN}, and trainable when its dtype is
   * floating point or complex (as a parameter would be).
   *
   * @param name the model's class name
   * @param index the saved state dict's index, in state-dict order
   * @return the architecture
   */
  public static TargetArchitecture fromStateDict(String name, CheckpointIndex index) {
    boolean anyParameter = index.tensors().stream().anyMatch(TensorInfo::parameter);
    List<TargetEntry> entries = new ArrayList<>(index.tensors().size());
    for (TensorInfo t : index.tensors()) {
      EntryKind kind;
      boolean requiresGrad;
      if (t.parameter()) {
        kind = EntryKind.PARAMETER;
        requiresGrad = t.requiresGrad() == null || t.requiresGrad();
      } else if (anyParameter) {
        kind = EntryKind.BUFFER;
        requiresGrad = false;
      } else {
        kind = EntryKind.UNKNOWN;
        requiresGrad = isFloatingOrComplex(t.dtype());
      }
      entries.add(new TargetEntry(t.key(), t.dtype(), t.shape(), kind, requiresGrad, true, null));
    }
    return new TargetArchitecture(name, entries);
  }

  private static boolean isFloatingOrComplex(DType dtype) {
    return switch (dtype) {
      case FLOAT64,
          FLOAT32,
          FLOAT16,
          BFLOAT16,
          COMPLEX64,
          COMPLEX128,
          FLOAT8_E4M3FN,
          FLOAT8_E5M2,
          FLOAT8_E4M3FNUZ,
          FLOAT8_E5M2FNUZ ->
          true;
      default -> false;
    };
  }
}
