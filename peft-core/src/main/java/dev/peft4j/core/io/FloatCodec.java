package dev.peft4j.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.ShortBuffer;

/** Conversions between stored floating-point elements and Java {@code float}s. */
final class FloatCodec {

    private static final int BF16_QUIET_NAN = 0x7FC0;

    private FloatCodec() {}

    /**
     * Decodes little-endian elements to float32; F64 rounds to nearest, the others are exact.
     *
     * @param bytes the elements, from position to limit
     * @param dtype their type
     * @return the values
     */
    static float[] toFloats(ByteBuffer bytes, SafetensorsDtype dtype) {
        ByteBuffer data = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[data.remaining() / dtype.byteSize()];
        switch (dtype) {
            case F32 -> data.asFloatBuffer().get(values);
            case F64 -> {
                DoubleBuffer doubles = data.asDoubleBuffer();
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) doubles.get(i);
                }
            }
            case BF16 -> {
                ShortBuffer shorts = data.asShortBuffer();
                for (int i = 0; i < values.length; i++) {
                    values[i] = bfloat16ToFloat(shorts.get(i));
                }
            }
            case F16 -> {
                ShortBuffer shorts = data.asShortBuffer();
                for (int i = 0; i < values.length; i++) {
                    values[i] = halfToFloat(shorts.get(i));
                }
            }
        }
        return values;
    }

    /**
     * Encodes float32 values as little-endian bfloat16, rounding to nearest even as PyTorch does;
     * every NaN becomes the quiet NaN {@code 0x7FC0}.
     *
     * @param values the values
     * @return the encoded bytes, positioned at 0
     */
    static ByteBuffer toBfloat16(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putShort(floatToBfloat16(value));
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
