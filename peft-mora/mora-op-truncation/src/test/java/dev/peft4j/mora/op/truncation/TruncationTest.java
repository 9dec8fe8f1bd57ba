package dev.peft4j.mora.op.truncation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.MoraHarness;
import dev.peft4j.testkit.mora.OperatorInvariants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/** Truncation (docs/math.md §4.5): ΔW[o][i] = M[o][i] inside the leading r̂×r̂ corner, zero elsewhere. */
class TruncationTest {

    private static final double[][] X = {{1, 2, 3, 4, 5, 6, 7, 8}};

    private static double[][] reference(int d, int k, double[][] m) {
        double[][] delta = new double[d][k];
        for (int o = 0; o < Math.min(d, m.length); o++) {
            for (int i = 0; i < Math.min(k, m.length); i++) {
                delta[o][i] = m[o][i];
            }
        }
        return delta;
    }

    /** d = k = 8 as in §5, r̂ = 4 and 6: c = x[:r̂], out = [M·c; 0]. */
    @ParameterizedTest
    @EngineSource
    void theWorkedExampleShapes(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter four = harness.adapter(MoraHarness.config(TruncationOperator.NAME, 1, false), 8, 8);
            assertEquals(4, four.reducedRank());
            MoraHarness.setM(four, MoraReference.sequence(4, 4));
            try (NDManager scope = harness.manager().newSubManager();
                    Compression compression = four.operator().bind(four.shape(), scope)) {
                Dense.assertClose(
                        new double[][] {{1, 2, 3, 4}},
                        Dense.fromArray(compression.compress(Dense.toArray(scope, X))),
                        0,
                        "c");
            }
            Dense.assertClose(
                    new double[][] {{30, 70, 110, 150, 0, 0, 0, 0}}, harness.forward(four, X), 1e-5, "out, r̂ = 4");
            Dense.assertClose(
                    reference(8, 8, MoraReference.sequence(4, 4)), harness.deltaWeight(four), 0, "ΔW, r̂ = 4");

            MoraAdapter six = harness.adapter(MoraHarness.config(TruncationOperator.NAME, 2, false), 8, 8);
            MoraHarness.setM(six, MoraReference.sequence(6, 6));
            Dense.assertClose(
                    new double[][] {{91, 217, 343, 469, 595, 721, 0, 0}}, harness.forward(six, X), 1e-5, "out, r̂ = 6");
        }
    }

    /** Every shape is in the domain: k &lt; r̂ pads the input with zeros, d &lt; r̂ truncates the output. */
    @ParameterizedTest
    @EngineSource
    void identitiesHoldOnEveryShape(EngineBinding engine) {
        OperatorInvariants.Spec spec = new OperatorInvariants.Spec(
                TruncationOperator.NAME, r -> r, (d, k, r) -> true, TruncationTest::reference);
        int[] counts = OperatorInvariants.checkAll(engine, spec);
        assertTrue(counts[0] >= 50, "shapes checked: " + counts[0]);
        assertEquals(0, counts[1], "no shape needs the generalisation");
    }

    /** With d = k = r̂ ΔW is M itself, and with d, k &lt; r̂ a corner of it: the adapter hands out a copy the caller may change or close. */
    @ParameterizedTest
    @EngineSource
    void aDeltaWeightThatIsPartOfMIsACopy(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(MoraHarness.config(TruncationOperator.NAME, 2, false), 4, 4);
            assertEquals(4, adapter.reducedRank(), "int(√16 + .5)");
            double[][] m = MoraReference.sequence(4, 4);
            MoraHarness.setM(adapter, m);
            NDArray mArray = adapter.peftParameters().get(MoraAdapter.M_NAME).getArray();
            NDArray delta = adapter.deltaWeight(null);
            assertNotSame(mArray, delta);
            Dense.assertClose(m, Dense.fromArray(delta), 0, "ΔW = M");
            delta.muli(2);
            delta.close();
            assertFalse(mArray.isReleased());
            Dense.assertClose(m, Dense.fromArray(mArray), 0, "M intact");

            MoraAdapter corner = harness.adapter(MoraHarness.config(TruncationOperator.NAME, 5, false), 3, 2);
            double[][] big = MoraReference.sequence(corner.reducedRank(), corner.reducedRank());
            MoraHarness.setM(corner, big);
            try (NDArray slice = corner.deltaWeight(null)) {
                slice.muli(0);
            }
            Dense.assertClose(
                    big,
                    Dense.fromArray(
                            corner.peftParameters().get(MoraAdapter.M_NAME).getArray()),
                    0,
                    "a ΔW that is a corner of M shares no memory with it");
        }
    }

    @Test
    void truncationIsPaperOnly() {
        assertTrue(MoraOperators.named(Plugins.defaults(), TruncationOperator.NAME)
                .moraType()
                .isEmpty());
    }
}
