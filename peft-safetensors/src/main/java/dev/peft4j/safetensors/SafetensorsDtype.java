package dev.peft4j.safetensors;

import ai.djl.ndarray.types.DataType;
import dev.peft4j.spi.PeftException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A safetensors element type. peft4j computes with the floating-point types F64, F32, BF16 and F16;
 * every other type the format defines (integers, booleans, the 8-, 6- and 4-bit floats, complex64)
 * and any type a newer writer invents is carried as opaque bytes: such tensors are read, copied
 * and written bit for bit, and only decoding their values is refused. An unknown type's element
 * size is taken from its tensor's offsets ({@link #opaque}).
 *
 * <p>Types compare in the order in which Python's safetensors lays out tensors of different types:
 * descending by its {@code Dtype} enum (widest first); unknown types come last, by name.
 */
public final class SafetensorsDtype implements Comparable<SafetensorsDtype> {

    /** Unsigned 64-bit integer, copied as bytes. */
    public static final SafetensorsDtype U64 = new SafetensorsDtype("U64", 64, DataType.UINT64, false, 19);
    /** Signed 64-bit integer, copied as bytes. */
    public static final SafetensorsDtype I64 = new SafetensorsDtype("I64", 64, DataType.INT64, false, 18);
    /** IEEE 754 binary64. */
    public static final SafetensorsDtype F64 = new SafetensorsDtype("F64", 64, DataType.FLOAT64, true, 17);
    /** Complex number of two binary32, copied as bytes. */
    public static final SafetensorsDtype C64 = new SafetensorsDtype("C64", 64, null, false, 16);
    /** IEEE 754 binary32. */
    public static final SafetensorsDtype F32 = new SafetensorsDtype("F32", 32, DataType.FLOAT32, true, 15);
    /** Unsigned 32-bit integer, copied as bytes. */
    public static final SafetensorsDtype U32 = new SafetensorsDtype("U32", 32, DataType.UINT32, false, 14);
    /** Signed 32-bit integer, copied as bytes. */
    public static final SafetensorsDtype I32 = new SafetensorsDtype("I32", 32, DataType.INT32, false, 13);
    /** bfloat16: the upper half of a binary32. */
    public static final SafetensorsDtype BF16 = new SafetensorsDtype("BF16", 16, DataType.BFLOAT16, true, 12);
    /** IEEE 754 binary16. */
    public static final SafetensorsDtype F16 = new SafetensorsDtype("F16", 16, DataType.FLOAT16, true, 11);
    /** Unsigned 16-bit integer, copied as bytes. */
    public static final SafetensorsDtype U16 = new SafetensorsDtype("U16", 16, DataType.UINT16, false, 10);
    /** Signed 16-bit integer, copied as bytes. */
    public static final SafetensorsDtype I16 = new SafetensorsDtype("I16", 16, DataType.INT16, false, 9);
    /** 8-bit power-of-two scale (MX formats), copied as bytes. */
    public static final SafetensorsDtype F8_E8M0 = new SafetensorsDtype("F8_E8M0", 8, null, false, 8);
    /** 8-bit float with 4 exponent and 3 mantissa bits, copied as bytes. */
    public static final SafetensorsDtype F8_E4M3 = new SafetensorsDtype("F8_E4M3", 8, null, false, 7);
    /** 8-bit float with 5 exponent and 2 mantissa bits, copied as bytes. */
    public static final SafetensorsDtype F8_E5M2 = new SafetensorsDtype("F8_E5M2", 8, null, false, 6);
    /** Signed 8-bit integer, copied as bytes. */
    public static final SafetensorsDtype I8 = new SafetensorsDtype("I8", 8, DataType.INT8, false, 5);
    /** Unsigned 8-bit integer, copied as bytes. */
    public static final SafetensorsDtype U8 = new SafetensorsDtype("U8", 8, DataType.UINT8, false, 4);
    /** 6-bit float with 3 exponent and 2 mantissa bits, packed, copied as bytes. */
    public static final SafetensorsDtype F6_E3M2 = new SafetensorsDtype("F6_E3M2", 6, null, false, 3);
    /** 6-bit float with 2 exponent and 3 mantissa bits, packed, copied as bytes. */
    public static final SafetensorsDtype F6_E2M3 = new SafetensorsDtype("F6_E2M3", 6, null, false, 2);
    /** 4-bit float, two per byte, copied as bytes. */
    public static final SafetensorsDtype F4 = new SafetensorsDtype("F4", 4, null, false, 1);
    /** Boolean, one byte each, copied as bytes. */
    public static final SafetensorsDtype BOOL = new SafetensorsDtype("BOOL", 8, DataType.BOOLEAN, false, 0);

    private static final List<SafetensorsDtype> DEFINED = List.of(
            U64, I64, F64, C64, F32, U32, I32, BF16, F16, U16, I16, F8_E8M0, F8_E4M3, F8_E5M2, I8, U8, F6_E3M2, F6_E2M3,
            F4, BOOL);

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,31}");
    private static final int UNKNOWN_ORDER = -1;

    private final String name;
    private final int bits;
    private final DataType dataType;
    private final boolean floatingPoint;
    private final int order;

    private SafetensorsDtype(String name, int bits, DataType dataType, boolean floatingPoint, int order) {
        this.name = name;
        this.bits = bits;
        this.dataType = dataType;
        this.floatingPoint = floatingPoint;
        this.order = order;
    }

    /**
     * Every type the safetensors format defines, widest first.
     *
     * @return the types
     */
    public static List<SafetensorsDtype> defined() {
        return DEFINED;
    }

    /**
     * The type's name as a header writes it.
     *
     * @return for example {@code F32}
     */
    public String name() {
        return name;
    }

    /**
     * The bits one element takes.
     *
     * @return 4, 6, 8, 16, 32 or 64 for the defined types; an unknown type's from its offsets
     */
    public int bits() {
        return bits;
    }

    /**
     * The bytes one element takes, for a type of whole bytes.
     *
     * @return 1, 2, 4 or 8
     * @throws IllegalStateException for a packed sub-byte type (F4, F6_*)
     */
    public int byteSize() {
        if (bits % Byte.SIZE != 0) {
            throw new IllegalStateException(name + " packs " + bits + "-bit elements; it has no whole-byte size");
        }
        return bits / Byte.SIZE;
    }

    /**
     * The bytes a number of elements take.
     *
     * @param elements the element count, ≥ 0
     * @return elements × bits / 8
     * @throws ArithmeticException when the product overflows a {@code long}
     * @throws PeftException when packed elements do not fill whole bytes
     */
    public long bytesFor(long elements) {
        long totalBits = Math.multiplyExact(elements, (long) bits);
        if (totalBits % Byte.SIZE != 0) {
            throw new PeftException(elements + " elements of " + name + " (" + bits + " bits each) do not fill whole"
                    + " bytes; safetensors stores whole bytes");
        }
        return totalBits / Byte.SIZE;
    }

    /**
     * Whether peft4j has a DJL array type for this type's values: the floating-point types it
     * computes with and the integer and boolean buffers it can read as arrays.
     *
     * @return whether {@link #dataType()} answers
     */
    public boolean hasDataType() {
        return dataType != null;
    }

    /**
     * The DJL data type with the same memory layout.
     *
     * @return the data type
     * @throws PeftException for a type peft4j only carries as bytes
     */
    public DataType dataType() {
        if (dataType == null) {
            throw new PeftException(
                    "Dtype " + name + " has no array type in peft4j; its tensors are only copied as bytes");
        }
        return dataType;
    }

    /**
     * Whether peft4j reads this type's values (F64, F32, BF16, F16); the others are only copied as bytes.
     *
     * @return whether it is a floating-point type peft4j computes with
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
        return DEFINED.stream()
                .filter(dtype -> dtype.floatingPoint && dtype.dataType == dataType)
                .findFirst()
                .orElseThrow(
                        () -> new PeftException("Data type " + dataType + " cannot be stored; peft4j writes arrays as "
                                + DEFINED.stream()
                                        .filter(SafetensorsDtype::isFloatingPoint)
                                        .toList()));
    }

    /**
     * A type the safetensors format defines, by its header name.
     *
     * @param name the header's {@code dtype}, for example {@code F32}
     * @return the type, or empty when the format does not define it
     */
    public static Optional<SafetensorsDtype> byName(String name) {
        return DEFINED.stream().filter(dtype -> dtype.name.equals(name)).findFirst();
    }

    /**
     * A type the format does not define, carried as opaque bytes, with the element size its
     * tensor's offsets give.
     *
     * @param name the header's {@code dtype}: a letter, then up to 31 letters, digits or underscores
     * @param bits the bits one element takes, ≥ 1
     * @return the type
     * @throws PeftException when the name is not a plausible type name or the size is not positive
     */
    public static SafetensorsDtype opaque(String name, int bits) {
        if (!NAME.matcher(name).matches()) {
            throw new PeftException("'" + name + "' is not a dtype name; the format's are "
                    + Arrays.toString(
                            DEFINED.stream().map(SafetensorsDtype::name).toArray()));
        }
        if (bits < 1) {
            throw new PeftException("Dtype " + name + " needs a positive element size, got " + bits + " bits");
        }
        return new SafetensorsDtype(name, bits, null, false, UNKNOWN_ORDER);
    }

    @Override
    public int compareTo(SafetensorsDtype other) {
        int byOrder = Integer.compare(other.order, order);
        return byOrder != 0 ? byOrder : name.compareTo(other.name);
    }

    /** Types are equal when their names are: an empty tensor of an unknown type cannot tell its size. */
    @Override
    public boolean equals(Object other) {
        return other instanceof SafetensorsDtype dtype && dtype.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
