package dev.graft.format;

import java.util.Arrays;
import java.util.Optional;

/**
 * The element types a checkpoint can hold, named as torch names them without the {@code torch.}
 * prefix.
 *
 * <p>Each constant knows its element size, the legacy storage class {@code torch.save} pickles for
 * it (the global a restricted unpickler accepts) and its safetensors code.
 */
public enum DType {
  FLOAT64("float64", 8, "DoubleStorage", "F64"),
  FLOAT32("float32", 4, "FloatStorage", "F32"),
  FLOAT16("float16", 2, "HalfStorage", "F16"),
  BFLOAT16("bfloat16", 2, "BFloat16Storage", "BF16"),
  INT64("int64", 8, "LongStorage", "I64"),
  INT32("int32", 4, "IntStorage", "I32"),
  INT16("int16", 2, "ShortStorage", "I16"),
  INT8("int8", 1, "CharStorage", "I8"),
  UINT8("uint8", 1, "ByteStorage", "U8"),
  UINT16("uint16", 2, "UInt16Storage", "U16"),
  UINT32("uint32", 4, "UInt32Storage", "U32"),
  UINT64("uint64", 8, "UInt64Storage", "U64"),
  BOOL("bool", 1, "BoolStorage", "BOOL"),
  COMPLEX64("complex64", 8, "ComplexFloatStorage", "C64"),
  COMPLEX128("complex128", 16, "ComplexDoubleStorage", "C128"),
  FLOAT8_E4M3FN("float8_e4m3fn", 1, "Float8_e4m3fnStorage", "F8_E4M3"),
  FLOAT8_E5M2("float8_e5m2", 1, "Float8_e5m2Storage", "F8_E5M2"),
  FLOAT8_E4M3FNUZ("float8_e4m3fnuz", 1, "Float8_e4m3fnuzStorage", null),
  FLOAT8_E5M2FNUZ("float8_e5m2fnuz", 1, "Float8_e5m2fnuzStorage", null);

  private final String torchName;
  private final int itemSize;
  private final String storageClass;
  private final String safetensorsCode;

  DType(String torchName, int itemSize, String storageClass, String safetensorsCode) {
    this.torchName = torchName;
    this.itemSize = itemSize;
    this.storageClass = storageClass;
    this.safetensorsCode = safetensorsCode;
  }

  /**
   * The name torch gives this type without the prefix, e.g. {@code float32}; used in every API
   * field.
   */
  public String torchName() {
    return torchName;
  }

  /** Bytes per element. */
  public int itemSize() {
    return itemSize;
  }

  /** The legacy typed-storage class {@code torch.save} pickles, e.g. {@code FloatStorage}. */
  public String storageClass() {
    return storageClass;
  }

  /** The safetensors dtype code, e.g. {@code F32}, or {@code null} where the format has none. */
  public String safetensorsCode() {
    return safetensorsCode;
  }

  /**
   * Finds a type by its torch name ({@code float32}) or torch's alias ({@code float}, {@code half},
   * {@code long}).
   */
  public static Optional<DType> byTorchName(String name) {
    String n = name.startsWith("torch.") ? name.substring(6) : name;
    n =
        switch (n) {
          case "float", "torch.float" -> "float32";
          case "double" -> "float64";
          case "half" -> "float16";
          case "long" -> "int64";
          case "int" -> "int32";
          case "short" -> "int16";
          case "cfloat" -> "complex64";
          case "cdouble" -> "complex128";
          default -> n;
        };
    String wanted = n;
    return Arrays.stream(values()).filter(d -> d.torchName.equals(wanted)).findFirst();
  }

  /** Finds a type by its legacy storage class name, e.g. {@code FloatStorage}. */
  public static Optional<DType> byStorageClass(String storageClass) {
    return Arrays.stream(values()).filter(d -> d.storageClass.equals(storageClass)).findFirst();
  }

  /** Finds a type by its safetensors code, e.g. {@code BF16}. */
  public static Optional<DType> bySafetensorsCode(String code) {
    return Arrays.stream(values()).filter(d -> code.equals(d.safetensorsCode)).findFirst();
  }
}
