package dev.peft4j.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import org.junit.jupiter.params.ParameterizedTest;

class RestartableAdamWTest {

    private static float[] run(Optimizer optimizer, NDManager manager, int steps) {
        NDArray weight = manager.create(new float[] {1, -2, 3, 0.5f}, new Shape(2, 2));
        for (int t = 0; t < steps; t++) {
            NDArray grad = manager.create(new float[] {0.1f * (t + 1), -0.3f, 0.7f, -t}, new Shape(2, 2));
            optimizer.update("w", weight, grad);
        }
        return weight.toFloatArray();
    }

    @ParameterizedTest
    @EngineSource
    void computesWhatDjlsAdamWComputesAndClearsState(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            Optimizer reference = Optimizer.adamW()
                    .optLearningRateTracker(Tracker.fixed(0.01f))
                    .optWeightDecays(0.01f)
                    .build();
            RestartableAdamW adamW = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(0.01f))
                    .build();
            assertArrayEquals(run(reference, manager, 3), run(adamW, manager, 3), 1e-6f);
            assertEquals(3, adamW.steps("w"));

            adamW.clearState("w");
            assertEquals(0, adamW.steps("w"));
            RestartableAdamW fresh = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(0.01f))
                    .build();
            assertArrayEquals(
                    run(fresh, manager, 1), run(adamW, manager, 1), 1e-7f, "a cleared parameter takes a first step");
        }
    }

    @ParameterizedTest
    @EngineSource
    void stateOutlivesTheManagerOfEachUpdate(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            RestartableAdamW adamW = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(0.01f))
                    .build();
            NDArray weight = manager.create(new float[] {1, -2}, new Shape(2));
            for (int t = 0; t < 2; t++) {
                // DJL's MXNet parameter server hands the optimizer a wrapper of the weight in a manager it then closes.
                try (NDManager update = manager.newSubManager()) {
                    weight.tempAttach(update);
                    adamW.update("w", weight, update.create(new float[] {0.5f, -0.5f}, new Shape(2)));
                }
            }
            assertEquals(2, adamW.steps("w"));
            adamW.clearState("w");
        }
    }
}
