package dev.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

class FloatCodecTest {

    private static int bits(float value) {
        return Float.floatToRawIntBits(value);
    }

    @ParameterizedTest
    @EngineSource
    void everyHalfDecodesAsTheEngineDecodesIt(EngineBinding engine) {
        ByteBuffer halves = ByteBuffer.allocateDirect(2 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 1 << 16; bits++) {
            halves.putShort((short) bits);
        }
        halves.flip();
        float[] ours = FloatCodec.toFloats(halves, SafetensorsDtype.F16);
        try (NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
                NDArray array = manager.create(halves, new Shape(1 << 16), DataType.FLOAT16)) {
            float[] theirs = array.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < ours.length; i++) {
                if (Float.isNaN(theirs[i])) {
                    assertTrue(Float.isNaN(ours[i]), "half 0x" + Integer.toHexString(i));
                } else {
                    assertEquals(bits(theirs[i]), bits(ours[i]), "half 0x" + Integer.toHexString(i));
                }
            }
        }
    }

    @Test
    void bfloat16IsTheUpperHalfOfAFloat() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float value = FloatCodec.bfloat16ToFloat((short) bits);
            assertEquals(bits << 16, bits(value));
            if (!Float.isNaN(value)) {
                assertEquals((short) bits, FloatCodec.floatToBfloat16(value), "exact values encode unchanged");
            }
        }
    }

    @Test
    void bfloat16EncodingRoundsToNearestEven() {
        assertEquals((short) 0x3F80, FloatCodec.floatToBfloat16(Float.intBitsToFloat(0x3F80_7FFF)), "below half: down");
        assertEquals((short) 0x3F81, FloatCodec.floatToBfloat16(Float.intBitsToFloat(0x3F80_8001)), "above half: up");
        assertEquals((short) 0x3F80, FloatCodec.floatToBfloat16(Float.intBitsToFloat(0x3F80_8000)), "tie to even");
        assertEquals((short) 0x3F82, FloatCodec.floatToBfloat16(Float.intBitsToFloat(0x3F81_8000)), "tie to even");
        assertEquals((short) 0xBF82, FloatCodec.floatToBfloat16(Float.intBitsToFloat(0xBF81_8000)), "negative tie");
        assertEquals((short) 0x7F80, FloatCodec.floatToBfloat16(Float.MAX_VALUE), "overflow to infinity");
        assertEquals((short) 0x7FC0, FloatCodec.floatToBfloat16(Float.intBitsToFloat(0xFF80_0001)), "NaN: quiet NaN");
        assertEquals((short) 0x8000, FloatCodec.floatToBfloat16(-0f));
    }
}
