/**
 * Pickles evaluated without running anything: {@link dev.graft.format.pickle.RestrictedUnpickler}
 * interprets an allow-list of globals into inert values ({@link
 * dev.graft.format.pickle.PickleDict}, {@link dev.graft.format.pickle.TensorRef}, {@link
 * dev.graft.format.pickle.TorchScriptObject}...) and {@link dev.graft.format.pickle.PickleEmitter}
 * writes pickles as CPython does. Used by the torch and TorchScript packages only.
 */
package dev.graft.format.pickle;
