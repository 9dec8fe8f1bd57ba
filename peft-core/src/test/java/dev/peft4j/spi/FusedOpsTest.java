package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.testkit.EngineSource;
import org.junit.jupiter.params.ParameterizedTest;

/** {@link FusedOps#addLinear} against a plain-Java sum of products, value and gradients, on every engine. */
class FusedOpsTest {

    private static final int K = 3;
    private static final int D = 2;

    /**
     * addend (2, 2, D) + input (2, 2, K)·weight (D, K)ᵀ to 1e-5; the gradient of Σ out²: 2·out for
     * the addend, 2·out·weight for the input and 2·Σ outᵀ·input for the weight.
     */
    @ParameterizedTest
    @EngineSource
    void addsTheProductAndBackpropagatesToEveryOperand(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            float[] x = {1, 2, 3, -1, 0, 2, 0.5f, -2, 1, 4, 1, -3};
            float[] w = {1, -1, 2, 0, 3, 1};
            float[] c = {0.5f, -1, 2, 0, -2, 1, 3, -0.5f};
            NDArray input = manager.create(x, new Shape(2, 2, K));
            NDArray weight = manager.create(w, new Shape(D, K));
            NDArray addend = manager.create(c, new Shape(2, 2, D));
            for (NDArray operand : new NDArray[] {input, weight, addend}) {
                operand.setRequiresGradient(true);
            }
            float[] expected = new float[4 * D];
            for (int row = 0; row < 4; row++) {
                for (int j = 0; j < D; j++) {
                    float sum = c[row * D + j];
                    for (int i = 0; i < K; i++) {
                        sum += x[row * K + i] * w[j * K + i];
                    }
                    expected[row * D + j] = sum;
                }
            }
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray out = FusedOps.addLinear(addend, input, weight);
                assertEquals(new Shape(2, 2, D), out.getShape());
                assertArrayEquals(expected, out.toFloatArray(), 1e-5f, "addend + input·weightᵀ");
                collector.backward(out.mul(out).sum());
            }
            float[] gradAddend = new float[expected.length];
            float[] gradInput = new float[x.length];
            float[] gradWeight = new float[w.length];
            for (int row = 0; row < 4; row++) {
                for (int j = 0; j < D; j++) {
                    float g = 2 * expected[row * D + j];
                    gradAddend[row * D + j] = g;
                    for (int i = 0; i < K; i++) {
                        gradInput[row * K + i] += g * w[j * K + i];
                        gradWeight[j * K + i] += g * x[row * K + i];
                    }
                }
            }
            assertArrayEquals(gradAddend, addend.getGradient().toFloatArray(), 1e-4f, "d/d addend");
            assertArrayEquals(gradInput, input.getGradient().toFloatArray(), 1e-4f, "d/d input");
            assertArrayEquals(gradWeight, weight.getGradient().toFloatArray(), 1e-4f, "d/d weight");
            assertArrayEquals(c, addend.toFloatArray(), 0f, "the addend is unchanged");
        }
    }
}
