/**
 * {@code torch.save} checkpoints: {@link dev.graft.format.torch.TorchCheckpointReader} finds the
 * state dict and indexes its tensors, {@link dev.graft.format.torch.TorchStateDictWriter} writes a
 * state dict that {@code torch.load(weights_only=True)} reads. {@link
 * dev.graft.format.torch.TensorIndexer} is shared with the TorchScript reader.
 */
package dev.graft.format.torch;
