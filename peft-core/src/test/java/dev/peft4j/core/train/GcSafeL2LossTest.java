package dev.peft4j.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.FreedMemory;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

class GcSafeL2LossTest {

    private static final float[] LABEL = {1, -2, 0.5f, 3, 0, -1};
    private static final float[] PREDICTION = {0.5f, -1, 1, 2, 0.25f, -3};

    /** Value as DJL's L2Loss computes it; gradient w.r.t. the prediction −2w·(label − prediction)/n, after a collection. */
    @ParameterizedTest
    @EngineSource
    void equalsDjlsL2LossAndItsGradientSurvivesAGarbageCollection(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDList label = new NDList(manager.create(LABEL, new Shape(2, 3)));
            NDArray prediction = manager.create(PREDICTION, new Shape(2, 3));
            float djl = Loss.l2Loss().evaluate(label, new NDList(prediction)).getFloat();
            prediction.setRequiresGradient(true);
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray loss = new GcSafeL2Loss().evaluate(label, new NDList(prediction));
                assertEquals(djl, loss.getFloat(), 1e-6f, "the loss value");
                FreedMemory.overwrite();
                collector.backward(loss);
            }
            float[] gradient = prediction.getGradient().toFloatArray();
            for (int i = 0; i < LABEL.length; i++) {
                assertEquals(
                        -2 * 0.5f * (LABEL[i] - PREDICTION[i]) / LABEL.length,
                        gradient[i],
                        1e-6f,
                        "dL/dprediction[" + i + "]");
            }
        }
    }

    /**
     * On a 64 × 33 prediction with weight 1, value and gradient against a double-precision reference
     * computed here, {@code Σ e²/n} and {@code 2e/n}: the dot product and its doubled gradient at a
     * size where the engine sums in vectorised blocks.
     */
    @ParameterizedTest
    @EngineSource
    void matchesADoublePrecisionReferenceOnALargerPrediction(EngineBinding engine) {
        int rows = 64;
        int columns = 33;
        float[] predicted = new float[rows * columns];
        float[] target = new float[rows * columns];
        Random random = new Random(17);
        double sum = 0;
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = (float) random.nextGaussian();
            target[i] = (float) random.nextGaussian();
            sum += ((double) predicted[i] - target[i]) * ((double) predicted[i] - target[i]);
        }
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDArray prediction = manager.create(predicted, new Shape(rows, columns));
            prediction.setRequiresGradient(true);
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray loss = new GcSafeL2Loss("mse", 1f)
                        .evaluate(new NDList(manager.create(target, new Shape(rows, columns))), new NDList(prediction));
                assertEquals(sum / predicted.length, loss.getFloat(), 1e-6 * sum / predicted.length, "the loss value");
                collector.backward(loss);
            }
            float[] gradient = prediction.getGradient().toFloatArray();
            for (int i = 0; i < predicted.length; i++) {
                double expected = 2.0 * ((double) predicted[i] - target[i]) / predicted.length;
                assertEquals(expected, gradient[i], 1e-9, "dL/dprediction[" + i + "]");
            }
        }
    }

    /** A perfect prediction has loss 0 and gradient 0, not NaN. */
    @ParameterizedTest
    @EngineSource
    void aPerfectPredictionHasAZeroGradient(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDArray prediction = manager.create(LABEL, new Shape(2, 3));
            prediction.setRequiresGradient(true);
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray loss = new GcSafeL2Loss()
                        .evaluate(new NDList(manager.create(LABEL, new Shape(6))), new NDList(prediction));
                assertEquals(0, loss.getFloat(), 0f);
                collector.backward(loss);
            }
            assertArrayEquals(new float[6], prediction.getGradient().toFloatArray(), 0f);
        }
    }

    /** A label of another size is refused with both shapes named, not an engine error. */
    @ParameterizedTest
    @EngineSource
    void refusesALabelOfAnotherSize(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDList label = new NDList(manager.create(new float[5]));
            NDList prediction = new NDList(manager.create(PREDICTION, new Shape(2, 3)));
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> new GcSafeL2Loss().evaluate(label, prediction));
            assertEquals("the label (5) has 5 values, expected the prediction's 6 (2, 3)", refused.getMessage());
        }
    }
}
