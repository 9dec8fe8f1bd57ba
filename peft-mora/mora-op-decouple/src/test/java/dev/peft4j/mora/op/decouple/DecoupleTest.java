package dev.peft4j.mora.op.decouple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.MoraHarness;
import dev.peft4j.testkit.mora.OperatorInvariants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/** Decoupling (docs/math.md §4.5): type 6's layout with every R_t = I. */
class DecoupleTest {

    private static final double[][] X = {{1, 2, 3, 4, 5, 6, 7, 8}};

    private static double[][] reference(int d, int k, double[][] m) {
        return MoraReference.blockDelta(d, k, m.length, t -> m);
    }

    /** d = k = 8 as in §5: r̂ = 4 gives blockdiag(M, M); r̂ = 6 pads with x0..x3 and keeps 2 rows of block 1. */
    @ParameterizedTest
    @EngineSource
    void theWorkedExampleShapes(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter four = harness.adapter(MoraHarness.config(DecoupleOperator.NAME, 1, false), 8, 8);
            assertEquals(4, four.reducedRank());
            double[][] m4 = MoraReference.sequence(4, 4);
            MoraHarness.setM(four, m4);
            Dense.assertClose(
                    new double[][] {{30, 70, 110, 150, 70, 174, 278, 382}},
                    harness.forward(four, X),
                    1e-5,
                    "out, r̂ = 4");
            double[][] blockDiagonal = new double[8][8];
            for (int o = 0; o < 8; o++) {
                for (int i = 0; i < 8; i++) {
                    blockDiagonal[o][i] = o / 4 == i / 4 ? m4[o % 4][i % 4] : 0;
                }
            }
            Dense.assertClose(blockDiagonal, harness.deltaWeight(four), 1e-5, "ΔW = blockdiag(M, M)");

            MoraAdapter six = harness.adapter(MoraHarness.config(DecoupleOperator.NAME, 2, false), 8, 8);
            assertEquals(6, six.reducedRank());
            MoraHarness.setM(six, MoraReference.sequence(6, 6));
            try (NDManager scope = harness.manager().newSubManager();
                    Compression compression = six.operator().bind(six.shape(), scope)) {
                double[][] blocks = Dense.fromArray(
                        compression.compress(Dense.toArray(scope, X)).reshape(2, 6));
                Dense.assertClose(new double[][] {{1, 2, 3, 4, 5, 6}, {7, 8, 1, 2, 3, 4}}, blocks, 0, "X_0, X_1");
            }
            Dense.assertClose(
                    new double[][] {{91, 217, 343, 469, 595, 721, 73, 223}},
                    harness.forward(six, X),
                    1e-5,
                    "out, r̂ = 6");
            Dense.assertClose(
                    reference(8, 8, MoraReference.sequence(6, 6)), harness.deltaWeight(six), 1e-5, "ΔW, r̂ = 6");
        }
    }

    @ParameterizedTest
    @EngineSource
    void identitiesHoldOnEveryShape(EngineBinding engine) {
        OperatorInvariants.Spec spec = new OperatorInvariants.Spec(
                DecoupleOperator.NAME, r -> r, (d, k, r) -> r <= 2 * k, DecoupleTest::reference);
        int[] counts = OperatorInvariants.checkAll(engine, spec);
        assertTrue(counts[0] >= 50, "shapes checked: " + counts[0]);
        assertTrue(counts[1] > 0, "shapes that needed the generalisation: " + counts[1]);
    }

    @Test
    void decoupleIsPaperOnly() {
        assertTrue(MoraOperators.named(Plugins.defaults(), DecoupleOperator.NAME)
                .moraType()
                .isEmpty());
        PeftException error = assertThrows(PeftException.class, () -> MoraOperators.byMoraType(Plugins.defaults(), 6));
        assertEquals(
                "No MoRA operator computes mora_type 6. Available types (operator): {}. "
                        + "Add the dependency dev.peft4j:mora-op-rotation (it computes mora_type 6).",
                error.getMessage());
    }
}
