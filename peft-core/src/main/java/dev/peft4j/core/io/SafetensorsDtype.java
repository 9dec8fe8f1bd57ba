package dev.peft4j.core.io;

import ai.djl.ndarray.types.DataType;
import dev.peft4j.spi.PeftException;
import java.util.Arrays;
import java.util.Optional;

/**
 * The safetensors element types peft4j reads and writes: the floating-point ones.
 *
 * <p>Declared from the widest to the narrowest, the order in which Python's safetensors lays out
 * tensors of different types.
 */
public enum SafetensorsDtype {
    /** IEEE 754 binary64. */
    F64(8, DataType.FLOAT64),
    /** IEEE 754 binary32. */
    F32(4, DataType.FLOAT32),
    /** bfloat16: the upper half of a binary32. */
    BF16(2, DataType.BFLOAT16),
    /** IEEE 754 binary16. */
    F16(2, DataType.FLOAT16);

    private final int byteSize;
    private final DataType dataType;

    SafetensorsDtype(int byteSize, DataType dataType) {
        this.byteSize = byteSize;
        this.dataType = dataType;
    }

    /**
     * The bytes one element takes.
     *
     * @return 2, 4 or 8
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
     * The safetensors type of a DJL data type.
     *
     * @param dataType a DJL data type
     * @return FLOAT64 → F64, FLOAT32 → F32, BFLOAT16 → BF16, FLOAT16 → F16
     * @throws PeftException for any other data type
     */
    public static SafetensorsDtype of(DataType dataType) {
        return Arrays.stream(values())
                .filter(dtype -> dtype.dataType == dataType)
                .findFirst()
                .orElseThrow(() -> new PeftException(
                        "Data type " + dataType + " cannot be stored; peft4j writes " + Arrays.toString(values())));
    }

    /**
     * The type a safetensors header names.
     *
     * @param name the header's {@code dtype}, for example {@code F32}
     * @return the type, or empty when peft4j does not support it
     */
    static Optional<SafetensorsDtype> byName(String name) {
        return Arrays.stream(values()).filter(dtype -> dtype.name().equals(name)).findFirst();
    }
}
