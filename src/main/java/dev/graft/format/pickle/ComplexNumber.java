package dev.graft.format.pickle;

/**
 * A Python {@code complex} from a pickle ({@code builtins.complex(real, imag)}).
 *
 * @param real the real part
 * @param imag the imaginary part
 */
record ComplexNumber(double real, double imag) {}
