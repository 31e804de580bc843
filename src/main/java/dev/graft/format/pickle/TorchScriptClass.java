package dev.graft.format.pickle;

/**
 * A TorchScript class global ({@code __torch__.<module> <Name>}) resolved by an unpickler in
 * TorchScript mode. It stands for the class by name only; {@code NEWOBJ} on it builds an inert
 * {@link TorchScriptObject}.
 *
 * @param qualifiedName the dotted name, e.g. {@code __torch__.torch.nn.modules.linear.Linear}
 */
record TorchScriptClass(String qualifiedName) {}
