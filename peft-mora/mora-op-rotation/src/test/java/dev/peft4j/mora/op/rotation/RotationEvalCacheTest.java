package dev.peft4j.mora.op.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.MoraHarness;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The eval cache of rotation's folded blocks M·R_t (d = k = 8, r = 1, so r̂ = 4 and two blocks):
 * eval forwards equal x·ΔWᵀ with ΔW from the independent block reference, the one kept array is
 * dropped whenever M may change, and with the option off nothing is kept.
 */
class RotationEvalCacheTest {

    private static final int D = 8;

    private static AdapterConfig config(boolean evalCache) {
        return AdapterConfig.builder(MoraFactory.NAME)
                .setRank(1)
                .optOption(MoraOptions.OPERATOR, RotationOperator.NAME)
                .optOption(MoraOptions.EVAL_CACHE, String.valueOf(evalCache))
                .build();
    }

    private static double[][] expected(double[][] x, double[][] m) {
        double[][] delta =
                MoraReference.blockDelta(D, D, m.length, t -> Dense.matmul(m, MoraReference.rotation(t, m.length)));
        return Dense.matmul(x, Dense.transpose(delta));
    }

    /** Eval forwards, plain and added in place to a layer output, against the reference (1e-5); the cache's one array stays until M may change. */
    @ParameterizedTest
    @EngineSource
    void evalForwardsUseTheFoldedBlocksUntilMMayChange(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(config(true), D, D);
            assertEquals(4, adapter.reducedRank());
            Random random = new Random(5);
            double[][] m = Dense.roundToFloat(Dense.random(random, 4, 4));
            MoraHarness.setM(adapter, m);
            double[][] x = Dense.roundToFloat(Dense.random(random, 6, D));
            int arrays = harness.manager().getManagedArrays().size();

            Dense.assertClose(expected(x, m), harness.forward(adapter, x), 1e-5, "first eval forward");
            assertEquals(arrays + 1, harness.manager().getManagedArrays().size(), "the folded blocks are kept");
            Dense.assertClose(expected(x, m), harness.forward(adapter, x), 1e-5, "cached eval forward");
            assertEquals(arrays + 1, harness.manager().getManagedArrays().size(), "and reused");
            try (NDManager pass = harness.manager().newSubManager()) {
                double[][] layer = Dense.roundToFloat(Dense.random(random, 6, D));
                NDArray input = Dense.toArray(pass, x).reshape(2, 3, D);
                NDArray layerOutput = Dense.toArray(pass, layer).reshape(2, 3, D);
                NDArray added = adapter.addForward(
                        new ParameterStore(pass, false),
                        Adapter.inputs(input, null, input),
                        layerOutput,
                        false,
                        true,
                        null);
                assertEquals(layerOutput.getShape(), added.getShape());
                Dense.assertClose(
                        Dense.add(layer, 1, expected(x, m)),
                        Dense.fromArray(added.reshape(6, D)),
                        1e-5,
                        "addForward onto an overwritable (2, 3, d) layer output");
            }

            try (NDManager pass = harness.manager().newSubManager()) {
                Dense.assertClose(
                        expected(x, m),
                        Dense.fromArray(MoraHarness.forward(adapter, Dense.toArray(pass, x), true)),
                        1e-5,
                        "training forward");
            }
            assertEquals(arrays, harness.manager().getManagedArrays().size(), "a training forward drops the cache");

            harness.forward(adapter, x);
            double[][] next = Dense.roundToFloat(Dense.random(random, 4, 4));
            try (NDManager pass = harness.manager().newSubManager()) {
                InPlace.copy(
                        Dense.toArray(pass, next),
                        adapter.peftParameters().get(MoraAdapter.M_NAME).getArray());
            }
            Dense.assertClose(
                    expected(x, m),
                    harness.forward(adapter, x),
                    1e-5,
                    "M changed without invalidateCaches: the kept blocks are still used, as documented");
            MoraHarness.setM(adapter, next);
            assertEquals(arrays, harness.manager().getManagedArrays().size(), "invalidateCaches drops it");
            Dense.assertClose(expected(x, next), harness.forward(adapter, x), 1e-5, "eval forward after M changed");

            adapter.resetM();
            assertEquals(arrays, harness.manager().getManagedArrays().size(), "resetM drops it");
            Dense.assertClose(new double[6][D], harness.forward(adapter, x), 0, "M = 0 after resetM");
        }
    }

    @ParameterizedTest
    @EngineSource
    void withTheCacheOffNothingIsKept(EngineBinding engine) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(config(false), D, D);
            Random random = new Random(6);
            double[][] m = Dense.roundToFloat(Dense.random(random, 4, 4));
            MoraHarness.setM(adapter, m);
            double[][] x = Dense.roundToFloat(Dense.random(random, 3, D));
            int arrays = harness.manager().getManagedArrays().size();
            Dense.assertClose(expected(x, m), harness.forward(adapter, x), 1e-5, "uncached eval forward");
            assertEquals(arrays, harness.manager().getManagedArrays().size(), "nothing kept");
        }
    }
}
