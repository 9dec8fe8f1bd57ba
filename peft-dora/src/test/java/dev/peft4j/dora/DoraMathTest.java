package dev.peft4j.dora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.StoredWeights;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.FreedMemory;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;

/** DoRA's math (Liu et al. 2024, §4) against plain-Java references, on every engine. */
class DoraMathTest {

    private static NDManager manager(EngineBinding engine) {
        return NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
    }

    /** An initialised adapter attached to W0, with its magnitude from W0 (B = 0). */
    private static DoraAdapter adapter(
            NDManager manager, double[][] w0, int rank, float alpha, Map<String, String> options) {
        AdapterConfig.Builder builder =
                AdapterConfig.builder("dora").setRank(rank).optAlpha(alpha);
        options.forEach(builder::optOption);
        AdapterConfig config = builder.build();
        DoraAdapter adapter = (DoraAdapter) new DoraFactory()
                .create(config, AdapterTarget.of("layer", w0[0].length, w0.length, DataType.FLOAT32), null);
        adapter.initialize(manager, DataType.FLOAT32, new Shape(1, w0[0].length));
        adapter.attachToBase(Dense.toArray(manager, w0));
        return adapter;
    }

    private static void set(Parameter parameter, double[]... rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < rows[0].length; j++) {
                flat[i * rows[0].length + j] = (float) rows[i][j];
            }
        }
        InPlace.copy(flat, parameter.getArray());
    }

    private static double[] vector(Parameter parameter) {
        return parameter.getArray().toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** h = x·W0ᵀ + adapter(x), the way the adapted layer computes it (bias left out). */
    private static NDArray layer(Adapter adapter, NDArray x, NDArray w0, boolean training) {
        NDArray h0 = x.matMul(w0.transpose());
        ParameterStore store = new ParameterStore(x.getManager(), false);
        return h0.add(
                adapter.forward(store, Adapter.inputs(x, h0, w0), training).head());
    }

    /** A worked example: W0 = [[3,4],[0,1]], A = [[1,0]], B = [[0],[1]], s = 1, m = [5, 1] gives h = [7, √2]. */
    @ParameterizedTest
    @EngineSource
    void reproducesTheWorkedExample(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            double[][] w0 = {{3, 4}, {0, 1}};
            DoraAdapter adapter = adapter(manager, w0, 1, 1, Map.of());
            assertArrayEquals(
                    new double[] {5, 1}, vector(adapter.peftParameters().get("lora_magnitude_vector")), 1e-6);
            set(adapter.peftParameters().get("lora_A.weight"), new double[] {1, 0});
            set(adapter.peftParameters().get("lora_B.weight"), new double[] {0}, new double[] {1});
            NDArray x = Dense.toArray(manager, new double[][] {{1, 1}});
            NDArray weight = Dense.toArray(manager, w0);
            Dense.assertClose(
                    new double[][] {{7, Math.sqrt(2)}}, Dense.fromArray(layer(adapter, x, weight, false)), 1e-6, "h");
            double r = 1 / Math.sqrt(2);
            Dense.assertClose(new double[][] {{3, 4}, {r, r}}, Dense.fromArray(adapter.merge(weight)), 1e-6, "W'");
        }
    }

    private static DoraAdapter randomAdapter(
            NDManager manager, double[][] w0, Random random, Map<String, String> options) {
        DoraAdapter adapter = adapter(manager, w0, 3, 6, options);
        set(adapter.peftParameters().get("lora_A.weight"), Dense.random(random, 3, w0[0].length));
        set(adapter.peftParameters().get("lora_B.weight"), Dense.random(random, w0.length, 3));
        double[] m = new double[w0.length];
        for (int o = 0; o < m.length; o++) {
            m[o] = 1 + random.nextDouble();
        }
        set(adapter.peftParameters().get("lora_magnitude_vector"), m);
        return adapter;
    }

    private static double[][] values(Adapter adapter, String name) {
        return Dense.fromArray(adapter.peftParameters().get(name).getArray());
    }

    /** Unmerged forward, merged forward and the dense formula agree; merge then unmerge gives W0 back, in both layouts. */
    @ParameterizedTest
    @EngineSource
    void mergeMatchesTheForwardAndUnmergeRestoresW0(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            Random random = new Random(7);
            double[][] w0 = Dense.random(random, 5, 4);
            DoraAdapter adapter = randomAdapter(manager, w0, random, Map.of());
            double s = 2;
            double[][] a = values(adapter, "lora_A.weight");
            double[][] b = values(adapter, "lora_B.weight");
            double[] m = vector(adapter.peftParameters().get("lora_magnitude_vector"));
            double[][] expectedMerged = DoraReference.merged(w0, a, b, s, m, DoraReference.norms(w0, a, b, s));
            double[][] x = Dense.random(random, 6, 4);
            NDArray weight = Dense.toArray(manager, w0);
            double[][] unmerged = Dense.fromArray(layer(adapter, Dense.toArray(manager, x), weight, false));
            Dense.assertClose(Dense.matmul(x, Dense.transpose(expectedMerged)), unmerged, 1e-5, "unmerged forward");

            for (boolean fanInFanOut : new boolean[] {false, true}) {
                NDArray stored = fanInFanOut ? weight.transpose() : weight;
                NDArray merged = StoredWeights.merge(adapter, stored, fanInFanOut);
                double[][] mergedDense = Dense.fromArray(fanInFanOut ? merged.transpose() : merged);
                Dense.assertClose(expectedMerged, mergedDense, 1e-5, "W', fan_in_fan_out=" + fanInFanOut);
                NDArray restored = StoredWeights.unmerge(adapter, merged, fanInFanOut);
                Dense.assertClose(
                        Dense.fromArray(stored), Dense.fromArray(restored), 1e-6, "W0, fan_in_fan_out=" + fanInFanOut);
            }
        }
    }

    /**
     * With dropout in training, each output row equals the formula for one dropout mask of its
     * input row: h = x·W0ᵀ + (m/n − 1) ⊙ x_d·W0ᵀ + (m/n) ⊙ s·x_d·Aᵀ·Bᵀ, with x_d ∈ {0, x/(1−p)}
     * per entry; the undropped base path stays.
     */
    @ParameterizedTest
    @EngineSource
    void dropoutFollowsPeftsForm(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            Random random = new Random(8);
            double[][] w0 = Dense.random(random, 3, 2);
            float p = 0.5f;
            DoraAdapter adapter = randomAdapter(manager, w0, random, Map.of());
            AdapterConfig withDropout = AdapterConfig.builder("dora")
                    .setRank(3)
                    .optAlpha(6)
                    .optDropout(p)
                    .build();
            DoraAdapter dropping = new DoraAdapter(withDropout, adapter.target(), false, false, 0);
            dropping.initialize(manager, DataType.FLOAT32, new Shape(1, 2));
            adapter.peftParameters()
                    .forEach((name, parameter) -> InPlace.copy(
                            parameter.getArray(),
                            dropping.peftParameters().get(name).getArray()));
            double s = 2;
            double[][] a = values(adapter, "lora_A.weight");
            double[][] b = values(adapter, "lora_B.weight");
            double[] m = vector(adapter.peftParameters().get("lora_magnitude_vector"));
            double[] n = DoraReference.norms(w0, a, b, s);
            double[][] x = new double[64][];
            for (int t = 0; t < x.length; t++) {
                x[t] = new double[] {1 + random.nextDouble(), -1 - random.nextDouble()};
            }
            double[][] actual;
            NDArray weight = Dense.toArray(manager, w0);
            try (GradientCollector ignored = manager.getEngine().newGradientCollector()) {
                actual = Dense.fromArray(layer(dropping, Dense.toArray(manager, x), weight, true));
            }
            Set<Integer> masksSeen = new HashSet<>();
            for (int t = 0; t < x.length; t++) {
                int match = -1;
                for (int mask = 0; mask < 4 && match < 0; mask++) {
                    double[][] xd = {{(mask & 1) == 0 ? 0 : x[t][0] / (1 - p), (mask & 2) == 0 ? 0 : x[t][1] / (1 - p)}
                    };
                    double[] h0 = Dense.matmul(new double[][] {x[t]}, Dense.transpose(w0))[0];
                    double[] hd = Dense.matmul(xd, Dense.transpose(w0))[0];
                    double[] lora = Dense.matmul(Dense.matmul(xd, Dense.transpose(a)), Dense.transpose(b))[0];
                    boolean equal = true;
                    for (int o = 0; o < 3; o++) {
                        double mag = m[o] / n[o];
                        double expected = h0[o] + (mag - 1) * hd[o] + mag * s * lora[o];
                        equal &= Math.abs(expected - actual[t][o]) < 1e-4 * Math.max(1, Math.abs(expected));
                    }
                    match = equal ? mask : -1;
                }
                assertTrue(match >= 0, "row " + t + " matches no dropout mask");
                masksSeen.add(match);
            }
            assertTrue(masksSeen.size() >= 3, "several masks occur: " + masksSeen);
        }
    }

    /** Gradients of L = Σ h ⊙ G: detached norm vs the analytic gradient with n constant; attached vs finite differences. */
    @ParameterizedTest
    @EngineSource
    void gradientsMatchIndependentComputations(EngineBinding engine) {
        for (boolean attached : new boolean[] {false, true}) {
            try (NDManager manager = manager(engine)) {
                Random random = new Random(attached ? 10 : 9);
                double[][] w0 = Dense.random(random, 4, 5);
                DoraAdapter adapter = randomAdapter(
                        manager, w0, random, Map.of(DoraFactory.NORM_GRADIENT, Boolean.toString(attached)));
                double s = 2;
                double[][] a = values(adapter, "lora_A.weight");
                double[][] b = values(adapter, "lora_B.weight");
                double[] m = vector(adapter.peftParameters().get("lora_magnitude_vector"));
                double[][] x = Dense.random(random, 6, 5);
                double[][] g = Dense.random(random, 6, 4);
                Map<String, Parameter> parameters = adapter.peftParameters();
                NDArray weight = Dense.toArray(manager, w0);
                NDArray input = Dense.toArray(manager, x);
                try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                    NDArray h = layer(adapter, input, weight, true);
                    NDArray loss = h.mul(Dense.toArray(manager, g)).sum();
                    FreedMemory.overwrite(); // what the forward kept for backward must survive a collection
                    collector.backward(loss);
                }
                double[][] gradA = Dense.fromArray(
                        parameters.get("lora_A.weight").getArray().getGradient());
                double[][] gradB = Dense.fromArray(
                        parameters.get("lora_B.weight").getArray().getGradient());
                double[] gradM = parameters
                        .get("lora_magnitude_vector")
                        .getArray()
                        .getGradient()
                        .toType(DataType.FLOAT64, false)
                        .toDoubleArray();
                double[][][] expected =
                        attached ? finiteDifferences(x, g, w0, a, b, s, m) : detachedGradients(x, g, w0, a, b, s, m);
                double tolerance = attached ? 2e-3 : 1e-4;
                Dense.assertClose(
                        expected[0], gradA, tolerance * Dense.scale(expected[0]), "dL/dA, attached=" + attached);
                Dense.assertClose(
                        expected[1], gradB, tolerance * Dense.scale(expected[1]), "dL/dB, attached=" + attached);
                Dense.assertClose(
                        expected[2],
                        new double[][] {gradM},
                        tolerance * Dense.scale(expected[2]),
                        "dL/dm, attached=" + attached);
            }
        }
    }

    /** With n held constant: P = Gᵀx, dL/dm_o = Σ_i P[o,i]·V[o,i]/n_o, dL/dB = s·diag(m/n)·P·Aᵀ, dL/dA = s·Bᵀ·diag(m/n)·P. */
    private static double[][][] detachedGradients(
            double[][] x, double[][] g, double[][] w0, double[][] a, double[][] b, double s, double[] m) {
        double[] n = DoraReference.norms(w0, a, b, s);
        double[][] p = Dense.matmul(Dense.transpose(g), x);
        double[][] v = Dense.add(w0, s, Dense.matmul(b, a));
        double[] gradM = new double[m.length];
        double[][] scaledP = new double[p.length][];
        for (int o = 0; o < p.length; o++) {
            scaledP[o] = new double[p[o].length];
            for (int i = 0; i < p[o].length; i++) {
                gradM[o] += p[o][i] * v[o][i] / n[o];
                scaledP[o][i] = p[o][i] * m[o] / n[o];
            }
        }
        double[][] gradB = Dense.add(new double[b.length][b[0].length], s, Dense.matmul(scaledP, Dense.transpose(a)));
        double[][] gradA = Dense.add(new double[a.length][a[0].length], s, Dense.matmul(Dense.transpose(b), scaledP));
        return new double[][][] {gradA, gradB, {gradM}};
    }

    /** Central differences of the loss with the norm recomputed, in double precision. */
    private static double[][][] finiteDifferences(
            double[][] x, double[][] g, double[][] w0, double[][] a, double[][] b, double s, double[] m) {
        double h = 1e-6;
        double[][] gradA = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                double keep = a[i][j];
                a[i][j] = keep + h;
                double up = DoraReference.loss(x, g, w0, a, b, s, m);
                a[i][j] = keep - h;
                double down = DoraReference.loss(x, g, w0, a, b, s, m);
                a[i][j] = keep;
                gradA[i][j] = (up - down) / (2 * h);
            }
        }
        double[][] gradB = new double[b.length][b[0].length];
        for (int i = 0; i < b.length; i++) {
            for (int j = 0; j < b[0].length; j++) {
                double keep = b[i][j];
                b[i][j] = keep + h;
                double up = DoraReference.loss(x, g, w0, a, b, s, m);
                b[i][j] = keep - h;
                double down = DoraReference.loss(x, g, w0, a, b, s, m);
                b[i][j] = keep;
                gradB[i][j] = (up - down) / (2 * h);
            }
        }
        double[] gradM = new double[m.length];
        for (int o = 0; o < m.length; o++) {
            double keep = m[o];
            m[o] = keep + h;
            double up = DoraReference.loss(x, g, w0, a, b, s, m);
            m[o] = keep - h;
            double down = DoraReference.loss(x, g, w0, a, b, s, m);
            m[o] = keep;
            gradM[o] = (up - down) / (2 * h);
        }
        return new double[][][] {gradA, gradB, {gradM}};
    }

    /** Cached and uncached eval outputs are identical; a training forward drops the cache. */
    @ParameterizedTest
    @EngineSource
    void theEvalCacheGivesIdenticalOutputsAndIsDroppedByTraining(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            double[][] w0 = Dense.random(new Random(11), 5, 4);
            DoraAdapter cached = randomAdapter(manager, w0, new Random(12), Map.of(DoraFactory.EVAL_CACHE, "true"));
            DoraAdapter uncached = randomAdapter(manager, w0, new Random(12), Map.of());
            NDArray x = Dense.toArray(manager, Dense.random(new Random(13), 3, 4));
            NDArray weight = Dense.toArray(manager, w0);
            float[] first = layer(cached, x, weight, false).toFloatArray();
            assertArrayEquals(layer(uncached, x, weight, false).toFloatArray(), first);
            assertArrayEquals(first, layer(cached, x, weight, false).toFloatArray(), "a cached forward gives the same");

            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                collector.backward(layer(cached, x, weight, true).sum());
            }
            for (DoraAdapter adapter : new DoraAdapter[] {cached, uncached}) {
                NDArray m =
                        adapter.peftParameters().get("lora_magnitude_vector").getArray();
                NDArray updated = m.mul(2);
                InPlace.copy(updated, m);
            }
            float[] afterStep = layer(cached, x, weight, false).toFloatArray();
            assertFalse(Arrays.equals(first, afterStep), "the step changed the output");
            assertArrayEquals(layer(uncached, x, weight, false).toFloatArray(), afterStep, "no stale cache");
        }
    }

    /** A zero row or NaN is a clear error naming the layer and the row; an epsilon allows zero rows. */
    @ParameterizedTest
    @EngineSource
    void zeroNormsAndNaNsAreClearErrors(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            double[][] w0 = {{1, 2}, {0, 0}, {3, 4}};
            PeftException zero = assertThrows(PeftException.class, () -> adapter(manager, w0, 1, 1, Map.of()));
            assertTrue(
                    zero.getMessage().startsWith("DoRA layer 'layer', row 1: the row norm of W0 + s·B·A is 0.0"),
                    zero.getMessage());
            assertTrue(zero.getMessage().contains(DoraFactory.EPSILON), zero.getMessage());

            DoraAdapter tolerant = adapter(manager, w0, 1, 1, Map.of(DoraFactory.EPSILON, "1e-6"));
            double[][] merged = Dense.fromArray(tolerant.merge(Dense.toArray(manager, w0)));
            Dense.assertClose(w0, merged, 1e-5, "a fresh adapter with epsilon merges to about W0");

            double[][] finite = {{1, 2}, {5, 1}, {3, 4}};
            DoraAdapter adapter = adapter(manager, finite, 1, 1, Map.of());
            set(adapter.peftParameters().get("lora_B.weight"), new double[] {0}, new double[] {0}, new double[] {
                Double.NaN
            });
            PeftException nan = assertThrows(PeftException.class, () -> adapter.merge(Dense.toArray(manager, finite)));
            assertTrue(
                    nan.getMessage().startsWith("DoRA layer 'layer', row 2: W0 + s·B·A has NaN or Inf while merging"),
                    nan.getMessage());
            PeftException notMerged =
                    assertThrows(PeftException.class, () -> adapter.unmerge(Dense.toArray(manager, finite)));
            assertTrue(notMerged.getMessage().contains("is not merged"), notMerged.getMessage());
        }
    }
}
