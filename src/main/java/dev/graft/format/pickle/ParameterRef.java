package dev.graft.format.pickle;

/**
 * An {@code nn.Parameter} as {@code torch._utils._rebuild_parameter} would rebuild it.
 *
 * @param tensor the parameter's data
 * @param requiresGrad the parameter's {@code requires_grad}
 */
public record ParameterRef(TensorRef tensor, boolean requiresGrad) {}
