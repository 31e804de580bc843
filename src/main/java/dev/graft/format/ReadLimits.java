package dev.graft.format;

/**
 * Limits every reader checks before it allocates or loops on a size taken from a file.
 *
 * @param maxZipEntries entries in a zip's central directory
 * @param maxPickleBytes size of a {@code data.pkl} record
 * @param maxPickleOps pickle opcodes executed
 * @param maxMemo entries in the pickle memo; torch memoizes about eight values per tensor, and the
 *     unpickler keeps dense memo indices in an array (8 bytes an entry)
 * @param maxStack values on the pickle stack (all marks together)
 * @param maxDepth nesting depth of containers built by the pickle
 * @param maxStringLength bytes in one pickled string or bytes object
 * @param maxTensors tensors in one checkpoint
 * @param maxRank dimensions of one tensor
 * @param maxKeyLength UTF-8 bytes in one state-dict key; PostgreSQL's btree index on keys refuses
 *     entries over about 2,700 bytes, so the default stays well below that
 * @param maxHeaderBytes bytes of a safetensors JSON header (the specification allows 100,000,000)
 * @param maxTotalNumel elements over all tensors
 * @param maxWork abstract work units one parse may spend: pickle opcodes, tuple hashing and
 *     equality steps, visited nodes of metadata and module graphs, JSON values; a parse over it is
 *     refused whatever its input size
 * @param maxParseMillis wall-clock time one parse may take, in milliseconds; checked as work is
 *     charged, so a parse is refused soon after the deadline passes
 * @param maxKeyTupleWeight items (counted through nested tuples) of a tuple used as a dict key or
 *     set item; heavier keys would make hashing and equality cost what the file wants
 * @param maxIntegerBits bits of a pickled integer ({@code LONG1}, {@code LONG4})
 * @param maxMetadataChars rendered JSON characters of a checkpoint's metadata, all entries
 *     together; entries that do not fit are left out
 * @param maxMetadataNodes JSON values of a checkpoint's metadata, all entries together (as
 *     rendered, so a value shared n times counts n times); entries that do not fit are left out
 * @param maxCodeRecordBytes inflated bytes of one compressed record, and of one TorchScript code
 *     record
 * @param maxCodeBytes bytes of all TorchScript code records read for one archive
 * @param maxInflatedBytes inflated bytes of all compressed records of one archive together, which
 *     are inflated to check their CRC-32
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
    long maxTotalNumel,
    long maxWork,
    long maxParseMillis,
    int maxKeyTupleWeight,
    int maxIntegerBits,
    long maxMetadataChars,
    int maxMetadataNodes,
    long maxCodeRecordBytes,
    long maxCodeBytes,
    long maxInflatedBytes) {

  /** The default work budget of one parse; see {@link #maxWork()}. */
  public static final long DEFAULT_MAX_WORK = 200_000_000L;

  /** The default deadline of one parse, 10 seconds; see {@link #maxParseMillis()}. */
  public static final long DEFAULT_MAX_PARSE_MILLIS = 10_000L;

  /**
   * The limits of the first twelve settings, with the defaults for the budgets and the metadata,
   * integer, tuple-key and code limits.
   */
  public ReadLimits(
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
    this(
        maxZipEntries,
        maxPickleBytes,
        maxPickleOps,
        maxMemo,
        maxStack,
        maxDepth,
        maxStringLength,
        maxTensors,
        maxRank,
        maxKeyLength,
        maxHeaderBytes,
        maxTotalNumel,
        DEFAULT_MAX_WORK,
        DEFAULT_MAX_PARSE_MILLIS,
        1_000,
        1024,
        1L << 20,
        100_000,
        16L << 20,
        64L << 20,
        256L << 20);
  }

  /** Limits generous enough for models with billions of parameters and 200,000 tensors. */
  public static ReadLimits defaults() {
    return new ReadLimits(
        // A torch.save zip holds one record per storage plus data.pkl, version, byteorder and a
        // few more: room for 200,000 tensors with their storages.
        200_064,
        256L << 20,
        50_000_000L,
        4_000_000,
        1_000_000,
        100,
        16 << 20,
        200_000,
        16,
        1024,
        100_000_000L,
        1L << 40);
  }

  /** These limits with another tensor count limit. */
  public ReadLimits withMaxTensors(int value) {
    return new ReadLimits(
        maxZipEntries,
        maxPickleBytes,
        maxPickleOps,
        maxMemo,
        maxStack,
        maxDepth,
        maxStringLength,
        value,
        maxRank,
        maxKeyLength,
        maxHeaderBytes,
        maxTotalNumel,
        maxWork,
        maxParseMillis,
        maxKeyTupleWeight,
        maxIntegerBits,
        maxMetadataChars,
        maxMetadataNodes,
        maxCodeRecordBytes,
        maxCodeBytes,
        maxInflatedBytes);
  }

  /** These limits with another work budget and deadline per parse. */
  public ReadLimits withBudget(long work, long parseMillis) {
    return new ReadLimits(
        maxZipEntries,
        maxPickleBytes,
        maxPickleOps,
        maxMemo,
        maxStack,
        maxDepth,
        maxStringLength,
        maxTensors,
        maxRank,
        maxKeyLength,
        maxHeaderBytes,
        maxTotalNumel,
        work,
        parseMillis,
        maxKeyTupleWeight,
        maxIntegerBits,
        maxMetadataChars,
        maxMetadataNodes,
        maxCodeRecordBytes,
        maxCodeBytes,
        maxInflatedBytes);
  }

  /** These limits with another metadata budget. */
  public ReadLimits withMetadataBudget(long chars, int nodes) {
    return new ReadLimits(
        maxZipEntries,
        maxPickleBytes,
        maxPickleOps,
        maxMemo,
        maxStack,
        maxDepth,
        maxStringLength,
        maxTensors,
        maxRank,
        maxKeyLength,
        maxHeaderBytes,
        maxTotalNumel,
        maxWork,
        maxParseMillis,
        maxKeyTupleWeight,
        maxIntegerBits,
        chars,
        nodes,
        maxCodeRecordBytes,
        maxCodeBytes,
        maxInflatedBytes);
  }

  /** These limits with other limits on compressed and code records. */
  public ReadLimits withCodeLimits(long recordBytes, long codeBytes, long inflatedBytes) {
    return new ReadLimits(
        maxZipEntries,
        maxPickleBytes,
        maxPickleOps,
        maxMemo,
        maxStack,
        maxDepth,
        maxStringLength,
        maxTensors,
        maxRank,
        maxKeyLength,
        maxHeaderBytes,
        maxTotalNumel,
        maxWork,
        maxParseMillis,
        maxKeyTupleWeight,
        maxIntegerBits,
        maxMetadataChars,
        maxMetadataNodes,
        recordBytes,
        codeBytes,
        inflatedBytes);
  }
}
