package dev.graft.format.torchscript;

import dev.graft.format.TensorInfo;
import java.util.List;

/**
 * What {@link TorchScriptReader} learnt from a TorchScript archive without running any of it: the
 * model's {@code state_dict()} layout, in {@code state_dict()} order, and where each initial value
 * lies in the file.
 *
 * @param rootClass the root module's TorchScript class, e.g. {@code __torch__.MyModel} or {@code
 *     __torch__.torch.nn.modules.container.Sequential}
 * @param entries the state-dict entries in order; a tied tensor appears once per key
 */
public record TorchScriptIndex(String rootClass, List<TorchScriptEntry> entries) {

  /** Copies the entries so the record stays immutable. */
  public TorchScriptIndex {
    entries = List.copyOf(entries);
  }

  /** The entries' tensors, in the same order, to read like checkpoint tensors. */
  public List<TensorInfo> tensors() {
    return entries.stream().map(TorchScriptEntry::tensor).toList();
  }

  /** Total elements over all keys (tied weights count once per key). */
  public long numel() {
    long n = 0;
    for (TorchScriptEntry e : entries) {
      n = Math.addExact(n, e.tensor().numel());
    }
    return n;
  }
}
