package dev.peft4j.safetensors;

import ai.djl.ndarray.types.DataType;
import dev.peft4j.spi.PeftException;
import java.util.Arrays;
import java.util.Optional;

/**
 * The safetensors element types peft4j reads and writes: the floating-point ones, whose values it
 * reads and computes with, and the integer and boolean ones that real checkpoints hold as buffers
 * (position ids, masks), which it only copies as bytes.
 *
 * <p>Declared in the order in which Python's safetensors lays out tensors of different types:
 * descending by its {@code Dtype} (widest first; among equal widths, the order of that enum).
 */
public enum SafetensorsDtype {
    /** Unsigned 64-bit integer, copied as bytes. */
    U64(8, DataType.UINT64, false),
    /** Signed 64-bit integer, copied as bytes. */
    I64(8, DataType.INT64, false),
    /** IEEE 754 binary64. */
    F64(8, DataType.FLOAT64, true),
    /** IEEE 754 binary32. */
    F32(4, DataType.FLOAT32, true),
    /** Unsigned 32-bit integer, copied as bytes. */
    U32(4, DataType.UINT32, false),
    /** Signed 32-bit integer, copied as bytes. */
    I32(4, DataType.INT32, false),
    /** bfloat16: the upper half of a binary32. */
    BF16(2, DataType.BFLOAT16, true),
    /** IEEE 754 binary16. */
    F16(2, DataType.FLOAT16, true),
    /** Unsigned 16-bit integer, copied as bytes. */
    U16(2, DataType.UINT16, false),
    /** Signed 16-bit integer, copied as bytes. */
    I16(2, DataType.INT16, false),
    /** Signed 8-bit integer, copied as bytes. */
    I8(1, DataType.INT8, false),
    /** Unsigned 8-bit integer, copied as bytes. */
    U8(1, DataType.UINT8, false),
    /** Boolean, one byte each, copied as bytes. */
    BOOL(1, DataType.BOOLEAN, false);

    private final int byteSize;
    private final DataType dataType;
    private final boolean floatingPoint;

    SafetensorsDtype(int byteSize, DataType dataType, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.dataType = dataType;
        this.floatingPoint = floatingPoint;
    }

    /**
     * The bytes one element takes.
     *
     * @return 1, 2, 4 or 8
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The DJL data type with the same memory layout.
     *
     * @return the data type
     */
    public DataType dataType() {
        return dataType;
    }

    /**
     * Whether peft4j reads this type's values (F64, F32, BF16, F16); the others are only copied as bytes.
     *
     * @return whether it is a floating-point type
     */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * The safetensors type of a floating-point DJL data type.
     *
     * @param dataType a DJL data type
     * @return FLOAT64 → F64, FLOAT32 → F32, BFLOAT16 → BF16, FLOAT16 → F16
     * @throws PeftException for any other data type
     */
    public static SafetensorsDtype of(DataType dataType) {
        return Arrays.stream(values())
                .filter(dtype -> dtype.floatingPoint && dtype.dataType == dataType)
                .findFirst()
                .orElseThrow(
                        () -> new PeftException("Data type " + dataType + " cannot be stored; peft4j writes arrays as "
                                + Arrays.stream(values())
                                        .filter(SafetensorsDtype::isFloatingPoint)
                                        .toList()));
    }

    /**
     * The type a safetensors header names.
     *
     * @param name the header's {@code dtype}, for example {@code F32}
     * @return the type, or empty when peft4j does not support it
     */
    static Optional<SafetensorsDtype> byName(String name) {
        return Arrays.stream(values())
                .filter(dtype -> dtype.name().equals(name))
                .findFirst();
    }
}
