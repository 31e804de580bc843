package dev.graft.format;

/**
 * Limits every reader checks before it allocates or loops on a size taken from a file.
 *
 * @param maxZipEntries entries in a zip's central directory
 * @param maxPickleBytes size of a {@code data.pkl} record
 * @param maxPickleOps pickle opcodes executed
 * @param maxMemo entries in the pickle memo
 * @param maxStack values on the pickle stack (all marks together)
 * @param maxDepth nesting depth of containers built by the pickle
 * @param maxStringLength bytes in one pickled string or bytes object
 * @param maxTensors tensors in one checkpoint
 * @param maxRank dimensions of one tensor
 * @param maxKeyLength characters in one state-dict key
 * @param maxHeaderBytes bytes of a safetensors JSON header (the specification allows 100,000,000)
 * @param maxTotalNumel elements over all tensors
 */
public record ReadLimits(
    int maxZipEntries,
    long maxPickleBytes,
    long maxPickleOps,
    int maxMemo,
    int maxStack,
    int maxDepth,
    int maxStringLength,
    int maxTensors,
    int maxRank,
    int maxKeyLength,
    long maxHeaderBytes,
    long maxTotalNumel) {

  /** Limits generous enough for models with billions of parameters and 100,000 tensors. */
  public static ReadLimits defaults() {
    return new ReadLimits(
        200_000,
        256L << 20,
        50_000_000L,
        1_000_000,
        1_000_000,
        100,
        16 << 20,
        200_000,
        16,
        4096,
        100_000_000L,
        1L << 40);
  }
}
