package dev.peft4j.mora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Each helper is a linear map A on one axis: its values are A·a and its gradient is Aᵀ·c, checked
 * against A built in plain Java from docs/math.md §4.2, on every engine. The input is never changed
 * (DJL's {@code Shape.getShape()} exposes the array's own dimensions).
 */
class MoraOpsTest {

    private static final int[] INPUT_SIZES = {1, 2, 3, 5, 8};
    private static final int[] OUTPUT_SIZES = {1, 2, 3, 4, 7, 8, 13};

    private static NDManager manager(EngineBinding engine) {
        return NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
    }

    /** DJL's {@code repeat(axis, n)} repeats each entry and {@code tile(long[])} the whole axis, on both engines. */
    @ParameterizedTest
    @EngineSource
    void repeatAndTileMeanWhatTheHelpersAssume(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            assertArrayEquals(
                    new float[] {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6},
                    a.repeat(1, 2).toFloatArray());
            assertArrayEquals(
                    new float[] {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6},
                    a.tile(new long[] {1, 2}).toFloatArray());
            assertArrayEquals(
                    new float[] {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6},
                    a.repeat(0, 2).toFloatArray());
        }
    }

    @ParameterizedTest
    @EngineSource
    void cyclicRepeatsTheAxisModuloItsSize(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            for (int n : INPUT_SIZES) {
                for (int length : OUTPUT_SIZES) {
                    double[][] map = new double[length][n];
                    for (int p = 0; p < length; p++) {
                        map[p][p % n] = 1;
                    }
                    checkOnBothAxes(
                            manager, map, axis -> a -> MoraOps.cyclic(a, axis, length), "cyclic " + n + "→" + length);
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void fitTruncatesOrPadsWithZeros(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            for (int n : INPUT_SIZES) {
                for (int length : OUTPUT_SIZES) {
                    double[][] map = new double[length][n];
                    for (int p = 0; p < Math.min(n, length); p++) {
                        map[p][p] = 1;
                    }
                    checkOnBothAxes(manager, map, axis -> a -> MoraOps.fit(a, axis, length), "fit " + n + "→" + length);
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void interleaveRepeatsEachEntryOverItsContiguousGroup(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            for (int r : INPUT_SIZES) {
                for (int length : OUTPUT_SIZES) {
                    double[][] map = new double[length][r];
                    for (int o = 0; o < length; o++) {
                        map[o][length < r ? o : MoraReference.group(length, r, o)] = 1;
                    }
                    checkOnBothAxes(
                            manager,
                            map,
                            axis -> a -> MoraOps.interleave(a, axis, length),
                            "interleave " + r + "→" + length);
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void foldSumAddsEntriesCongruentModuloThePeriod(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            for (int n : OUTPUT_SIZES) {
                for (int period : INPUT_SIZES) {
                    double[][] map = new double[period][n];
                    for (int p = 0; p < n; p++) {
                        map[p % period][p] = 1;
                    }
                    checkLinear(manager, map, -1, a -> MoraOps.foldSum(a, period), "foldSum " + n + "→" + period);
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void groupSumAddsContiguousGroups(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            for (int n : OUTPUT_SIZES) {
                for (int groups : INPUT_SIZES) {
                    double[][] map = new double[groups][n];
                    for (int i = 0; i < n; i++) {
                        map[n < groups ? i : MoraReference.group(n, groups, i)][i] = 1;
                    }
                    checkLinear(manager, map, -1, a -> MoraOps.groupSum(a, groups), "groupSum " + n + "→" + groups);
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void reshapeLastKeepsTheLeadingAxes(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            NDArray a = manager.arange(24f).reshape(2, 3, 4);
            assertEquals(new Shape(2, 3, 2, 2), MoraOps.reshapeLast(a, 1, 2, 2).getShape());
            assertEquals(new Shape(2, 12), MoraOps.reshapeLast(a, 2, 12).getShape());
            assertArrayEquals(a.toFloatArray(), MoraOps.reshapeLast(a, 2, 12).toFloatArray());
        }
    }

    private interface AxisOp {
        UnaryOperator<NDArray> on(int axis);
    }

    private static void checkOnBothAxes(NDManager manager, double[][] map, AxisOp op, String what) {
        checkLinear(manager, map, -1, op.on(-1), what + " on the last axis");
        checkLinear(manager, map, 0, op.on(0), what + " on axis 0");
    }

    /** op(a) == A·a along the axis, and the gradient of Σ c ⊙ op(a) is Aᵀ·c. */
    private static void checkLinear(
            NDManager manager, double[][] map, int axis, UnaryOperator<NDArray> op, String what) {
        Random random = new Random(map.length * 31L + map[0].length);
        int n = map[0].length;
        double[][] columns = Dense.random(random, n, 3);
        double[][] weights = Dense.random(random, map.length, 3);
        boolean last = axis == -1;
        try (NDManager scope = manager.newSubManager()) {
            NDArray a = Dense.toArray(scope, last ? Dense.transpose(columns) : columns);
            NDArray c = Dense.toArray(scope, last ? Dense.transpose(weights) : weights);
            a.setRequiresGradient(true);
            Shape before = new Shape(a.getShape().getShape().clone());
            double[][] values;
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray out = op.apply(a);
                values = Dense.fromArray(out);
                collector.backward(out.mul(c).sum());
            }
            assertEquals(before, a.getShape(), what + ": the input keeps its shape");
            double[][] gradient = Dense.fromArray(a.getGradient());
            if (last) {
                values = Dense.transpose(values);
                gradient = Dense.transpose(gradient);
            }
            Dense.assertClose(Dense.matmul(map, columns), values, 1e-5, what);
            Dense.assertClose(Dense.matmul(Dense.transpose(map), weights), gradient, 1e-5, what + ": gradient");
        }
    }
}
