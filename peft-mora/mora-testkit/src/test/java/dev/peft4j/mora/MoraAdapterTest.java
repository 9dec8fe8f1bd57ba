package dev.peft4j.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.MoraHarness;
import dev.peft4j.testkit.mora.OperatorInvariants;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/** The adapter around its operator, with the test operators test-window (type 1) and test-even-window (type 2). */
class MoraAdapterTest {

    private static AdapterConfig config(String operator, int rank) {
        return MoraHarness.config(operator, rank, false);
    }

    private static MoraAdapter create(AdapterConfig config, int d, int k) {
        return (MoraAdapter)
                new MoraFactory().create(config, AdapterTarget.of("layer", k, d, DataType.FLOAT32), Plugins.defaults());
    }

    @Test
    void aLlamaSizedLayerTrainsAsManyValuesAsLora() {
        MoraAdapter adapter = create(config(WindowOperator.NAME, 8), 4096, 4096);
        assertEquals(256, adapter.reducedRank());
        assertEquals(65_536, adapter.trainableParameterCount());
        assertEquals(2L * 8 * 4096, adapter.trainableParameterCount(), "LoRA's r·(d + k) at r = 8");
        Parameter m = adapter.peftParameters().get(MoraAdapter.M_NAME);
        assertFalse(m.isInitialized(), "nothing allocated before initialisation");
        assertEquals("MoraAdapter(layer, r=8, r̂=256, operator=test-window)", adapter.toString());
    }

    @Test
    void theRankRuleAndTheOperatorSetRHat() {
        AdapterConfig.Builder paper =
                AdapterConfig.builder(MoraFactory.NAME).setRank(2).optOption("rank_rule", "paper");
        assertEquals(6, create(config(WindowOperator.NAME, 2), 8, 8).reducedRank());
        assertEquals(
                5,
                create(paper.optOption("operator", WindowOperator.NAME).build(), 8, 8)
                        .reducedRank());
        assertEquals(6, create(config(EvenWindowOperator.NAME, 2), 8, 8).reducedRank());
        assertEquals(
                4,
                create(paper.optOption("operator", EvenWindowOperator.NAME).build(), 8, 8)
                        .reducedRank(),
                "⌊√32⌋ = 5, made even");
    }

    @Test
    void badRanksAreRejected() {
        IllegalArgumentException zero =
                assertThrows(IllegalArgumentException.class, () -> config(WindowOperator.NAME, 0));
        assertEquals("Rank r must be positive, got 0", zero.getMessage());
        PeftException tooSmall =
                assertThrows(PeftException.class, () -> create(config(EvenWindowOperator.NAME, 1), 1, 1));
        assertEquals(
                "MoRA rank r=1 gives r̂=0 for layer 'layer' (d=1, k=1, official rule r̂=1, adjusted by operator "
                        + "'test-even-window'): choose a larger rank",
                tooSmall.getMessage());
    }

    @Test
    void shapesOutsideTheOperatorsDomainFailAtCreation() {
        PeftException error = assertThrows(PeftException.class, () -> create(config(WindowOperator.NAME, 1), 31, 1));
        assertEquals(
                "Operator 'test-window' cannot bind d=31, k=1, r̂=6 as kongds/MoRA does: r̂ > k in this test operator "
                        + "(docs/math.md §4.7). Set the MoRA option generalized=true to use the documented generalisation, "
                        + "or choose another rank or operator.",
                error.getMessage());
        assertEquals(
                6,
                create(MoraHarness.config(WindowOperator.NAME, 1, true), 31, 1).reducedRank());
    }

    /** The harness's identities hold for the test operator, a truncation with gain 1. */
    @ParameterizedTest
    @EngineSource
    void theIdentitiesHoldWithTheTestOperator(EngineBinding engine) {
        OperatorInvariants.Spec spec = new OperatorInvariants.Spec(
                WindowOperator.NAME, r -> r, (d, k, r) -> r <= k, (d, k, m) -> window(d, k, m, 1));
        int[] counts = OperatorInvariants.checkAll(engine, spec);
        assertTrue(counts[0] >= 50, "shapes checked: " + counts[0]);
        assertTrue(counts[1] > 0, "shapes that needed the generalisation: " + counts[1]);
    }

    private static double[][] window(int d, int k, double[][] m, double gain) {
        double[][] delta = new double[d][k];
        for (int o = 0; o < Math.min(d, m.length); o++) {
            for (int i = 0; i < Math.min(k, m.length); i++) {
                delta[o][i] = gain * m[o][i];
            }
        }
        return delta;
    }

    /** Dropout acts on the input in training only: with M = I the outputs are 0 or x/(1 − p). */
    @ParameterizedTest
    @EngineSource
    void dropoutActsOnTheInputInTrainingOnly(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            float p = 0.5f;
            AdapterConfig config = AdapterConfig.builder(MoraFactory.NAME)
                    .setRank(1)
                    .optDropout(p)
                    .optOption("operator", WindowOperator.NAME)
                    .build();
            MoraAdapter adapter = harness.adapter(config, 8, 8);
            int rHat = adapter.reducedRank();
            double[][] identity = new double[rHat][rHat];
            for (int i = 0; i < rHat; i++) {
                identity[i][i] = 1;
            }
            MoraHarness.setM(adapter, identity);
            double[][] x = new double[64][8];
            for (double[] row : x) {
                Arrays.fill(row, 1.5);
            }
            double[][] kept = new double[64][8];
            for (double[] row : kept) {
                Arrays.fill(row, 0, rHat, 1.5);
            }
            Dense.assertClose(kept, harness.forward(adapter, x), 0, "eval: no dropout");
            NDManager manager = harness.manager();
            double[][] train;
            try (GradientCollector ignored = manager.getEngine().newGradientCollector()) {
                NDArray input = Dense.toArray(manager, x);
                train = Dense.fromArray(
                        adapter.forward(new ParameterStore(manager, false), Adapter.inputs(input, input, input), true)
                                .head());
            }
            int zeros = 0;
            for (double[] row : train) {
                for (int o = 0; o < rHat; o++) {
                    if (row[o] == 0) {
                        zeros++;
                    } else {
                        assertEquals(1.5 / (1 - p), row[o], 1e-5, "kept inputs are scaled by 1/(1 − p)");
                    }
                }
            }
            assertTrue(zeros > 64 * rHat / 4 && zeros < 64 * rHat * 3 / 4, "about half dropped: " + zeros);
        }
    }

    /** ReMoRA's reset zeroes M in its own array, and M still trains afterwards. */
    @ParameterizedTest
    @EngineSource
    void resetMZeroesMInPlace(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(config(WindowOperator.NAME, 2), 8, 8);
            MoraHarness.setM(adapter, Dense.random(new Random(1), 6, 6));
            Parameter m = adapter.peftParameters().get(MoraAdapter.M_NAME);
            NDArray array = m.getArray();
            adapter.resetM();
            assertSame(array, m.getArray(), "same array");
            Dense.assertClose(new double[6][6], Dense.fromArray(array), 0, "M");
            Dense.assertClose(new double[8][8], harness.deltaWeight(adapter), 0, "ΔW");

            NDManager manager = harness.manager();
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray x = manager.ones(new ai.djl.ndarray.types.Shape(2, 8));
                NDArray out = adapter.forward(new ParameterStore(manager, false), Adapter.inputs(x, x, x), true)
                        .head();
                collector.backward(out.sum());
            }
            assertTrue(array.getGradient().abs().sum().getFloat() > 0, "M gets a gradient after the reset");
        }
    }

    /** ReMoRA's switch rebinds on the same M, releases the previous tables and keeps r̂. */
    @ParameterizedTest
    @EngineSource
    void switchOperatorRebindsAndReleasesThePreviousTables(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(config(WindowOperator.NAME, 2), 8, 8);
            double[][] m = Dense.roundToFloat(Dense.random(new Random(2), 6, 6));
            MoraHarness.setM(adapter, m);
            int arrays = harness.manager().getManagedArrays().size();
            CompressionOperatorPair pair = new CompressionOperatorPair();

            adapter.switchOperator(pair.even);
            assertSame(pair.even, adapter.operator());
            assertEquals(arrays, harness.manager().getManagedArrays().size(), "the previous gain table was released");
            Dense.assertClose(window(8, 8, m, 2), harness.deltaWeight(adapter), 1e-5, "ΔW with the new operator");
            Dense.assertClose(
                    window(8, 8, m, 2),
                    Dense.transpose(harness.forward(adapter, identity(8))),
                    1e-5,
                    "forward with the new operator");

            adapter.switchOperator(pair.window);
            Dense.assertClose(window(8, 8, m, 1), harness.deltaWeight(adapter), 1e-5, "and back");
            assertEquals(arrays, harness.manager().getManagedArrays().size());
        }
    }

    private static final class CompressionOperatorPair {
        final WindowOperator window = new WindowOperator();
        final EvenWindowOperator even = new EvenWindowOperator();
    }

    @Test
    void switchOperatorRefusesAnotherRHatOrAShapeOutsideTheDomain() {
        MoraAdapter odd = create(config(WindowOperator.NAME, 1), 5, 7);
        assertEquals(3, odd.reducedRank());
        PeftException rank = assertThrows(PeftException.class, () -> odd.switchOperator(new EvenWindowOperator()));
        assertEquals(
                "Operator 'test-even-window' needs r̂=2 but layer 'layer' has M of 3×3: switch only between operators that keep r̂",
                rank.getMessage());
        assertEquals(WindowOperator.NAME, odd.operator().name(), "unchanged after a refused switch");

        MoraAdapter wide = create(config(EvenWindowOperator.NAME, 1), 31, 1);
        PeftException domain = assertThrows(PeftException.class, () -> wide.switchOperator(new WindowOperator()));
        assertTrue(
                domain.getMessage().startsWith("Operator 'test-window' cannot bind d=31, k=1, r̂=6"),
                domain.getMessage());
        assertEquals(EvenWindowOperator.NAME, wide.operator().name());
    }

    /** ΔW's temporaries are closed, the result joins the caller's scope, and forward temporaries stay with the input. */
    @ParameterizedTest
    @EngineSource
    void noArraysAreLeftBehind(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(config(WindowOperator.NAME, 2), 5, 9);
            MoraHarness.setM(adapter, Dense.random(new Random(3), adapter.reducedRank(), adapter.reducedRank()));
            int arrays = harness.manager().getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                adapter.deltaWeight(null).close();
            }
            assertEquals(arrays, harness.manager().getManagedArrays().size(), "ΔW temporaries closed");
            NDArray delta;
            try (NDScope ignored = new NDScope()) {
                delta = adapter.deltaWeight(null);
                assertFalse(delta.isReleased());
            }
            assertTrue(delta.isReleased(), "ΔW belongs to the caller's scope");
            try (NDManager batch = harness.manager().newSubManager()) {
                MoraHarness.forward(adapter, batch.ones(new ai.djl.ndarray.types.Shape(4, 9)));
            }
            assertEquals(
                    arrays,
                    harness.manager().getManagedArrays().size(),
                    "forward temporaries belong to the input's manager");
            assertEquals(MoraReference.officialRank(5, 9, 2), adapter.reducedRank());
        }
    }

    private static double[][] identity(int k) {
        double[][] x = new double[k][k];
        for (int i = 0; i < k; i++) {
            x[i][i] = 1;
        }
        return x;
    }
}
