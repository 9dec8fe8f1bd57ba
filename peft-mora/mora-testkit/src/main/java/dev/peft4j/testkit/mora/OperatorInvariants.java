package dev.peft4j.testkit.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.MoraReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.function.UnaryOperator;

/**
 * The identities of docs/math.md §6, checked for one operator through the {@code mora} adapter over
 * many (d, k, r) shapes: merged equals unmerged, the identity probe, ΔW against an independent
 * closed form, and M = 0 giving nothing. Shapes outside the official domain must fail without the
 * generalisation and satisfy the identities with it.
 */
public final class OperatorInvariants {

    /** d and k values: d ≠ k, k not divisible by r̂, r̂ > k and r̂ > 2k all occur. */
    private static final int[] SIZES = {1, 2, 3, 5, 8, 12, 17};
    /** Requested ranks r. */
    private static final int[] RANKS = {1, 2, 5};

    private OperatorInvariants() {}

    /** Whether kongds/MoRA's code runs on a shape. */
    @FunctionalInterface
    public interface Domain {
        /**
         * Whether the official code runs on a shape.
         *
         * @param d out features
         * @param k in features
         * @param rHat r̂
         * @return whether it runs
         */
        boolean contains(int d, int k, int rHat);
    }

    /** An independent closed form of ΔW. */
    @FunctionalInterface
    public interface Reference {
        /**
         * ΔW from M.
         *
         * @param d out features
         * @param k in features
         * @param m M (r̂, r̂)
         * @return ΔW (d, k)
         */
        double[][] deltaWeight(int d, int k, double[][] m);
    }

    /**
     * What is checked for one operator.
     *
     * @param operator the operator's name
     * @param adjustRank the operator's r̂ adjustment, computed independently
     * @param official the shapes the official code runs on
     * @param reference ΔW's closed form
     */
    public record Spec(String operator, IntUnaryOperator adjustRank, Domain official, Reference reference) {}

    /**
     * The (d, k, r) shapes every operator is checked on.
     *
     * @return the shapes, each {@code {d, k, r}}
     */
    public static List<int[]> shapes() {
        List<int[]> shapes = new ArrayList<>();
        for (int d : SIZES) {
            for (int k : SIZES) {
                for (int r : RANKS) {
                    shapes.add(new int[] {d, k, r});
                }
            }
        }
        return shapes;
    }

    /**
     * Checks every shape on one engine.
     *
     * @param engine the engine
     * @param spec the operator
     * @return how many shapes the identities were checked on, and how many of them needed the
     *     generalisation
     */
    public static int[] checkAll(EngineBinding engine, Spec spec) {
        return checkAll(engine, spec, Plugins.defaults());
    }

    /**
     * Checks every shape on one engine, with the operator looked up in a registry (a third-party
     * operator loaded from a plugin directory).
     *
     * @param engine the engine
     * @param spec the operator
     * @param plugins the registry that holds it
     * @return how many shapes the identities were checked on, and how many of them needed the
     *     generalisation
     */
    public static int[] checkAll(EngineBinding engine, Spec spec, Plugins plugins) {
        int checked = 0;
        int generalized = 0;
        try (MoraHarness harness = new MoraHarness(engine, plugins)) {
            for (int[] shape : shapes()) {
                int d = shape[0];
                int k = shape[1];
                int r = shape[2];
                int rHat = spec.adjustRank().applyAsInt(MoraReference.officialRank(d, k, r));
                String what = spec.operator() + " d=" + d + " k=" + k + " r=" + r + " r̂=" + rHat;
                if (rHat < 1) {
                    PeftException error = assertThrows(
                            PeftException.class,
                            () -> harness.adapter(MoraHarness.config(spec.operator(), r, true), d, k),
                            what);
                    assertTrue(error.getMessage().contains("choose a larger rank"), error.getMessage());
                    continue;
                }
                boolean official = spec.official().contains(d, k, rHat);
                if (!official) {
                    PeftException error = assertThrows(
                            PeftException.class,
                            () -> harness.adapter(MoraHarness.config(spec.operator(), r, false), d, k),
                            what);
                    for (String part : List.of(
                            "'" + spec.operator() + "'", "d=" + d, "k=" + k, "r̂=" + rHat, "generalized=true")) {
                        assertTrue(
                                error.getMessage().contains(part),
                                what + ": message names " + part + ": " + error.getMessage());
                    }
                    generalized++;
                }
                MoraAdapter adapter = harness.adapter(MoraHarness.config(spec.operator(), r, !official), d, k);
                assertEquals(rHat, adapter.reducedRank(), what);
                checkShape(harness, adapter, spec.reference(), new Random(31L * checked + 7), what);
                checked++;
            }
        }
        return new int[] {checked, generalized};
    }

    private static void checkShape(
            MoraHarness harness, MoraAdapter adapter, Reference reference, Random random, String what) {
        int d = adapter.shape().outFeatures();
        int k = adapter.shape().inFeatures();
        int rHat = adapter.reducedRank();
        Dense.assertClose(
                new double[3][d],
                harness.forward(adapter, Dense.random(random, 3, k)),
                0,
                what + ": M = 0 adds nothing");
        Dense.assertClose(new double[d][k], harness.deltaWeight(adapter), 0, what + ": M = 0 gives ΔW = 0");

        double[][] m = Dense.roundToFloat(Dense.random(random, rHat, rHat));
        MoraHarness.setM(adapter, m);
        double[][] delta = harness.deltaWeight(adapter);
        checkIdentities(x -> harness.forward(adapter, x), delta, reference.deltaWeight(d, k, m), random, what);
        checkLeadingAxes(harness, adapter, random, what);
    }

    /**
     * Checks {@code x·W0ᵀ + f(x) == x·(W0 + ΔW)ᵀ}, {@code f(I_k)ᵀ == ΔW} and ΔW against a reference,
     * to 1e-5 relative to the magnitude.
     *
     * @param forward the adapter's contribution f, (n, k) → (n, d)
     * @param delta the engine's ΔW (d, k)
     * @param reference the expected ΔW (d, k)
     * @param random the source of W0 and x
     * @param what the case, for failure messages
     */
    public static void checkIdentities(
            UnaryOperator<double[][]> forward, double[][] delta, double[][] reference, Random random, String what) {
        int d = delta.length;
        int k = delta[0].length;
        Dense.assertClose(reference, delta, 1e-5 * scale(reference), what + ": ΔW against the closed form");

        double[][] w0 = Dense.random(random, d, k);
        double[][] x = Dense.random(random, 4, k);
        double[][] merged = Dense.matmul(x, Dense.transpose(Dense.add(w0, 1, delta)));
        double[][] unmerged = Dense.add(Dense.matmul(x, Dense.transpose(w0)), 1, forward.apply(x));
        Dense.assertClose(merged, unmerged, 1e-5 * scale(merged), what + ": x·W0ᵀ + adapter(x) == x·(W0 + ΔW)ᵀ");

        double[][] identity = new double[k][k];
        for (int i = 0; i < k; i++) {
            identity[i][i] = 1;
        }
        Dense.assertClose(
                delta, Dense.transpose(forward.apply(identity)), 1e-5 * scale(delta), what + ": adapter(I_k)ᵀ == ΔW");
    }

    private static void checkLeadingAxes(MoraHarness harness, MoraAdapter adapter, Random random, String what) {
        int k = adapter.shape().inFeatures();
        double[][] x = Dense.random(random, 6, k);
        try (NDManager scope = harness.manager().newSubManager()) {
            NDArray batched = Dense.toArray(scope, x).reshape(2, 3, k);
            NDArray out = MoraHarness.forward(adapter, batched);
            assertEquals(3, out.getShape().dimension(), what + ": leading axes kept");
            Dense.assertClose(
                    harness.forward(adapter, x), Dense.fromArray(out.reshape(6, -1)), 1e-6, what + ": (2, 3, k) input");
            Dense.assertClose(
                    Dense.fromArray(out.reshape(6, -1)),
                    Dense.fromArray(MoraHarness.forward(adapter, batched, true).reshape(6, -1)),
                    1e-5 * scale(Dense.fromArray(out.reshape(6, -1))),
                    what + ": a training forward (no eval cache) equals the eval forward");
            double[][] layer =
                    Dense.roundToFloat(Dense.random(random, 6, adapter.shape().outFeatures()));
            NDArray layerOutput = Dense.toArray(scope, layer).reshape(out.getShape());
            NDArray added = MoraHarness.addForward(adapter, batched, layerOutput);
            assertEquals(out.getShape(), added.getShape(), what + ": addForward keeps the shape");
            Dense.assertClose(
                    Dense.add(layer, 1, harness.forward(adapter, x)),
                    Dense.fromArray(added.reshape(6, -1)),
                    1e-5,
                    what + ": addForward == layer output + adapter(x)");
            Dense.assertClose(
                    layer, Dense.fromArray(layerOutput.reshape(6, -1)), 0, what + ": the layer output is kept");
        }
    }

    /**
     * The largest |value|, at least 1.
     *
     * @param m a matrix
     * @return the scale for relative tolerances
     */
    public static double scale(double[][] m) {
        double max = 1;
        for (double[] row : m) {
            for (double v : row) {
                max = Math.max(max, Math.abs(v));
            }
        }
        return max;
    }
}
