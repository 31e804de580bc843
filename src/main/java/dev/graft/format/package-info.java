/**
 * Checkpoint files read and written as plain Java, without Spring and without running anything a
 * file contains.
 *
 * <p>This package holds what every caller needs: {@link dev.graft.format.CheckpointIndex} and
 * {@link dev.graft.format.TensorInfo} (what a file holds and where), {@link
 * dev.graft.format.DType}, {@link dev.graft.format.CheckpointFormat}, {@link
 * dev.graft.format.ReadLimits}, {@link dev.graft.format.FormatException}, {@link
 * dev.graft.format.TensorData} (a tensor's elements) and, for writers, {@link
 * dev.graft.format.OutputTensor} and {@link dev.graft.format.StateDictWriter}. It depends on no
 * other format package.
 *
 * <p>Each format has a package of its own with a narrow entry point: {@code read} (the
 * format-detecting {@code CheckpointReader}), {@code torch} ({@code torch.save} files), {@code
 * safetensors}, {@code torchscript} ({@code torch.jit.save} archives), and below them {@code zip}
 * and {@code pickle}; {@code internal} holds the parsing primitives they share. {@code
 * ModularityTests} keeps the dependencies pointing downwards and code outside format on this
 * package and the entry points.
 */
package dev.graft.format;
