/**
 * TorchScript archives ({@code torch.jit.save}) as architectures: {@link
 * dev.graft.format.torchscript.TorchScriptReader} reads a model's state-dict layout without running
 * its code, {@link dev.graft.format.torchscript.TorchScriptRewriter} writes the archive again with
 * new weights.
 */
package dev.graft.format.torchscript;
