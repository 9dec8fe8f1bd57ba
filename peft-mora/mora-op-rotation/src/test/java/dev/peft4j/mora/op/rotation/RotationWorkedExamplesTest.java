package dev.peft4j.mora.op.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.MoraHarness;
import org.junit.jupiter.params.ParameterizedTest;

/** The type 6 worked examples of docs/math.md §5 (d = k = 8, x = 1..8, M = 1..r̂²), printed there with 4 decimals. */
class RotationWorkedExamplesTest {

    private static final double[][] X = {{1, 2, 3, 4, 5, 6, 7, 8}};
    private static final double PRINTED = 1e-4;

    private record Example(double[][] blocks, double[] output, double[][] delta) {}

    private static Example run(EngineBinding engine, int rank, int expectedRank) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(MoraHarness.config(RotationOperator.NAME, rank, false), 8, 8);
            assertEquals(expectedRank, adapter.reducedRank(), "r̂");
            MoraHarness.setM(adapter, MoraReference.sequence(expectedRank, expectedRank));
            double[][] blocks;
            try (NDManager scope = harness.manager().newSubManager();
                    Compression compression = adapter.operator().bind(adapter.shape(), scope)) {
                blocks = Dense.fromArray(
                        compression.compress(Dense.toArray(scope, X)).reshape(2, expectedRank));
            }
            return new Example(blocks, harness.forward(adapter, X)[0], harness.deltaWeight(adapter));
        }
    }

    /** §5.1: r̂ = 4, θ = [1, 0.01], ΔW = blockdiag(M, M·R_1). */
    @ParameterizedTest
    @EngineSource
    void rankOne(EngineBinding engine) {
        Example example = run(engine, 1, 4);
        Dense.assertClose(
                new double[][] {{1, 2, 3, 4}, {-3.1888, 5.9197, 7.9895, 8.0596}},
                example.blocks(),
                PRINTED,
                "X_0, R_1·X_1");
        Dense.assertClose(
                new double[][] {{30, 70, 110, 150, 64.8574, 139.9774, 215.0973, 290.2173}},
                new double[][] {example.output()},
                PRINTED,
                "out");
        double[][] delta = {
            {1, 2, 3, 4, 0, 0, 0, 0},
            {5, 6, 7, 8, 0, 0, 0, 0},
            {9, 10, 11, 12, 0, 0, 0, 0},
            {13, 14, 15, 16, 0, 0, 0, 0},
            {0, 0, 0, 0, 3.0647, 2.0399, 0.7794, 3.9798},
            {0, 0, 0, 0, 8.5918, 6.0797, -0.4252, 7.9396},
            {0, 0, 0, 0, 14.1189, 10.1195, -1.6299, 11.8994},
            {0, 0, 0, 0, 19.6460, 14.1593, -2.8346, 15.8592},
        };
        Dense.assertClose(delta, example.delta(), PRINTED, "ΔW");
    }

    /** §5.2-c: r̂ = 6, x̃ = [x0..x7, x0..x3], z (12 entries) truncated to 8: only 2 rows of block 1 survive. */
    @ParameterizedTest
    @EngineSource
    void rankTwoTruncatesTheLastBlock(EngineBinding engine) {
        Example example = run(engine, 2, 6);
        double[][] secondBlock = Dense.transpose(
                Dense.matmul(MoraReference.rotation(1, 6), new double[][] {{7}, {8}, {1}, {2}, {3}, {4}}));
        Dense.assertClose(new double[][] {{1, 2, 3, 4, 5, 6}, secondBlock[0]}, example.blocks(), 1e-5, "X_0, R_1·X_1");
        Dense.assertClose(
                new double[][] {{91, 217, 343, 469, 595, 721, 89.5140, 241.2165}},
                new double[][] {example.output()},
                PRINTED,
                "out");
        double[][] delta = new double[8][8];
        double[][] m = MoraReference.sequence(6, 6);
        for (int o = 0; o < 6; o++) {
            System.arraycopy(m[o], 0, delta[o], 0, 6);
        }
        delta[6] = new double[] {3.0129, 1.3197, 4.9018, 5.9935, 0, 0, 3.9062, 2.2298};
        delta[7] = new double[] {9.0258, -0.4873, 10.6170, 11.9806, 0, 0, 12.1968, 8.5018};
        Dense.assertClose(delta, example.delta(), PRINTED, "ΔW");
        assertEquals(Math.cos(1) + 4 * Math.sin(1), example.delta()[6][6], 1e-5, "ΔW[6,6] = 1·cos1 + 4·sin1");
    }
}
