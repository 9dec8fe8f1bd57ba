package dev.peft4j.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/** Conversions between stored floating-point elements and Java {@code float}s. */
public final class FloatCodec {

    private static final int BF16_QUIET_NAN = 0x7FC0;

    private FloatCodec() {}

    /**
     * Decodes little-endian elements to float32; F64 rounds to nearest, the others are exact.
     *
     * @param bytes the elements, from position to limit
     * @param dtype their type, a floating-point one
     * @return the values
     */
    static float[] toFloats(ByteBuffer bytes, SafetensorsDtype dtype) {
        float[] values = new float[bytes.remaining() / dtype.byteSize()];
        decode(bytes, dtype, FloatBuffer.wrap(values));
        return values;
    }

    /**
     * Decodes little-endian elements to float32 into a caller's buffer, as {@link #toFloats} does.
     *
     * @param bytes the elements, from position to limit (not consumed)
     * @param dtype their type, a floating-point one
     * @param target receives one float per element from its position, which advances past them
     */
    public static void decode(ByteBuffer bytes, SafetensorsDtype dtype, FloatBuffer target) {
        ByteBuffer data = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int count = data.remaining() / dtype.byteSize();
        if (dtype == SafetensorsDtype.F32) {
            target.put(data.asFloatBuffer());
        } else if (dtype == SafetensorsDtype.F64) {
            DoubleBuffer doubles = data.asDoubleBuffer();
            for (int i = 0; i < count; i++) {
                target.put((float) doubles.get(i));
            }
        } else if (dtype == SafetensorsDtype.BF16 || dtype == SafetensorsDtype.F16) {
            ShortBuffer shorts = data.asShortBuffer();
            boolean brain = dtype == SafetensorsDtype.BF16;
            for (int i = 0; i < count; i++) {
                target.put(brain ? bfloat16ToFloat(shorts.get(i)) : halfToFloat(shorts.get(i)));
            }
        } else {
            throw new IllegalArgumentException(dtype + " is not a floating-point type");
        }
    }

    /**
     * Encodes float32 values as little-endian bfloat16, rounding to nearest even as PyTorch does;
     * every NaN becomes the quiet NaN {@code 0x7FC0}.
     *
     * @param values the values, from position to limit (not consumed)
     * @return the encoded bytes, positioned at 0
     */
    static ByteBuffer toBfloat16(FloatBuffer values) {
        FloatBuffer source = values.duplicate();
        ByteBuffer bytes = ByteBuffer.allocate(source.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (source.hasRemaining()) {
            bytes.putShort(floatToBfloat16(source.get()));
        }
        return bytes.flip();
    }

    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    static short floatToBfloat16(float value) {
        if (Float.isNaN(value)) {
            return (short) BF16_QUIET_NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float subnormal = mantissa * 0x1p-24f;
            return sign == 0 ? subnormal : -subnormal;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
