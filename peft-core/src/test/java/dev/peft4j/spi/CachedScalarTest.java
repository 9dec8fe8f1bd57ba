package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.testkit.EngineSource;
import org.junit.jupiter.params.ParameterizedTest;

class CachedScalarTest {

    /**
     * The array is made once, in the owner, and survives the scope of the pass that first asked
     * for it; another data type or a closed owner gives a new one of the same value.
     */
    @ParameterizedTest
    @EngineSource
    void isMadeOnceAndOutlivesThePass(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            CachedScalar half = new CachedScalar(0.5f);
            NDArray operand = manager.ones(new Shape(3));
            NDArray first;
            try (NDManager owner = manager.newSubManager()) {
                try (NDScope ignored = new NDScope()) {
                    first = half.like(operand, owner);
                }
                assertFalse(first.isReleased(), "the scope of the first pass left it open");
                assertSame(first, half.like(operand, owner));
                assertEquals(new Shape(), first.getShape());
                assertEquals(0.5f, operand.mul(first).getFloat(1), 0f);
                NDArray doubled = half.like(operand.toType(DataType.FLOAT64, false), owner);
                assertNotSame(first, doubled);
                assertEquals(DataType.FLOAT64, doubled.getDataType());
            }
            NDArray again = half.like(operand, manager);
            assertFalse(again.isReleased(), "made again after its owner closed");
            assertEquals(0.5f, again.getFloat(), 0f);
        }
    }
}
