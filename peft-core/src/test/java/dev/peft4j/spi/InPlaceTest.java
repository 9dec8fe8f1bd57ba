package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.testkit.EngineSource;
import org.junit.jupiter.params.ParameterizedTest;

class InPlaceTest {

    /** Writes keep the array and its gradient flag, NaN is overwritten, and no temporary stays in the target's manager. */
    @ParameterizedTest
    @EngineSource
    void writesIntoTheArrayAndLeavesNothingBehind(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                NDArray target = manager.create(new float[] {1, Float.NaN, -3, 4}, new Shape(2, 2))
                        .toType(type, false);
                target.setRequiresGradient(true);
                int arrays = ((BaseNDManager) manager).getManagedArrays().size();

                InPlace.zero(target);
                assertEquals(
                        arrays, ((BaseNDManager) manager).getManagedArrays().size(), type + ": zero keeps nothing");
                assertArrayEquals(
                        new float[4], target.toType(DataType.FLOAT32, false).toFloatArray(), 0f, type + ": zero");
                arrays = ((BaseNDManager) manager).getManagedArrays().size();
                InPlace.copy(new float[] {5, 6, 7, 8}, target);
                assertEquals(
                        arrays, ((BaseNDManager) manager).getManagedArrays().size(), type + ": copy keeps nothing");
                assertArrayEquals(
                        new float[] {5, 6, 7, 8},
                        target.toType(DataType.FLOAT32, false).toFloatArray(),
                        0f,
                        type + ": copy");
                assertEquals(type, target.getDataType());
                assertTrue(target.hasGradient(), type + ": still a parameter with a gradient");
            }
        }
    }
}
