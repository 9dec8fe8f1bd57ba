package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.Backend;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ArrayCounterTest {

    static List<EngineBinding> engines() {
        return Plugins.defaults().engines();
    }

    @ParameterizedTest
    @MethodSource("engines")
    void countsArraysInSubManagersAndScopesAndTheirPeakBytes(EngineBinding engine) {
        try (NDManager root =
                Backend.select(engine.name(), "cpu", Plugins.defaults()).newManager()) {
            NDArray kept = root.ones(new Shape(10));
            ArrayCounter.Usage usage = ArrayCounter.measure(root, () -> {
                try (NDManager call = root.newSubManager()) {
                    NDArray big = call.zeros(new Shape(1000));
                    try (NDScope ignored = new NDScope()) {
                        big.add(kept.sum()).exp();
                    }
                }
            });
            assertEquals(4, usage.arrays(), "zeros, sum, add, exp");
            assertEquals(
                    4L * (10 + 1000 + 1 + 1000 + 1000), usage.peakBytes(), "kept and every array alive at the peak");

            ArrayCounter.Usage after =
                    ArrayCounter.measure(root, () -> kept.mul(kept).close());
            assertEquals(1, after.arrays());
            List<NDArray> left = root.getManagedArrays();
            assertEquals(1, left.size(), "the counted temporaries were released");
            assertSame(kept, left.get(0));
        }
    }
}
