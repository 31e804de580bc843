package dev.graft.format;

import java.util.List;
import java.util.Map;

/**
 * What a reader learnt from a checkpoint file without reading tensor data: the state dict's tensors
 * in file order, where the state dict sat, and the plain-data metadata beside it.
 *
 * @param format the file's format
 * @param stateDictPath where the state dict sits inside a nested checkpoint, dotted ({@code
 *     model_state_dict}, {@code state_dict}); empty when the file's top level is the state dict
 * @param tensors the state dict's tensors, in the state dict's order
 * @param metadata plain data found beside the state dict (epoch, global_step, hyper-parameters,
 *     safetensors {@code __metadata__}); values are strings, numbers, booleans, null, lists and
 *     maps
 * @param moduleVersions the state dict's {@code _metadata}: module prefix ({@code ""} for the root,
 *     {@code "layer1.0.bn1"}) to its {@code version}, for modules that declare one
 */
public record CheckpointIndex(
    CheckpointFormat format,
    String stateDictPath,
    List<TensorInfo> tensors,
    Map<String, Object> metadata,
    Map<String, Long> moduleVersions) {

  public CheckpointIndex {
    tensors = List.copyOf(tensors);
  }

  /** Total elements over all state-dict keys (tied weights count once per key). */
  public long numel() {
    long n = 0;
    for (TensorInfo t : tensors) {
      n = Math.addExact(n, t.numel());
    }
    return n;
  }
}
