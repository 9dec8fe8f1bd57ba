package dev.peft4j.mora.op.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.MoraHarness;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The worked examples of docs/math.md §5 (d = k = 8, x = 1..8, M = 1..r̂²): r̂, the compressed input,
 * the output and ΔW. Cases §5 does not print are computed from the elementwise formulas of §4.2/§4.3.
 */
class SharingWorkedExamplesTest {

    private static final double[] X = {1, 2, 3, 4, 5, 6, 7, 8};

    private record Example(double[] compressed, double[] output, double[][] delta) {}

    private static Example run(EngineBinding engine, String operator, int rank, int expectedRank) {
        try (MoraHarness harness = new MoraHarness(engine)) {
            MoraAdapter adapter = harness.adapter(MoraHarness.config(operator, rank, false), 8, 8);
            assertEquals(expectedRank, adapter.reducedRank(), "r̂");
            MoraHarness.setM(adapter, MoraReference.sequence(expectedRank, expectedRank));
            double[][] x = {X};
            double[] compressed;
            try (NDManager scope = harness.manager().newSubManager();
                    Compression compression = adapter.operator().bind(adapter.shape(), scope)) {
                NDArray c = compression.compress(Dense.toArray(scope, x));
                compressed = Dense.fromArray(c)[0];
            }
            return new Example(compressed, harness.forward(adapter, x)[0], harness.deltaWeight(adapter));
        }
    }

    private static void check(Example example, double[] compressed, double[] output, double[][] delta) {
        Dense.assertClose(new double[][] {compressed}, new double[][] {example.compressed()}, 1e-5, "compressed input");
        Dense.assertClose(new double[][] {output}, new double[][] {example.output()}, 1e-5, "output");
        Dense.assertClose(delta, example.delta(), 1e-5, "ΔW");
    }

    private interface Entry {
        double at(int o, int i);
    }

    private static double[][] matrix(Entry entry) {
        double[][] m = new double[8][8];
        for (int o = 0; o < 8; o++) {
            for (int i = 0; i < 8; i++) {
                m[o][i] = entry.at(o, i);
            }
        }
        return m;
    }

    private static final double[][] M4 = MoraReference.sequence(4, 4);
    private static final double[][] M6 = MoraReference.sequence(6, 6);

    @ParameterizedTest
    @EngineSource
    void rankOneRHatFour(EngineBinding engine) {
        check(
                run(engine, "sharing", 1, 4),
                new double[] {6, 8, 10, 12},
                new double[] {100, 244, 388, 532, 100, 244, 388, 532},
                matrix((o, i) -> M4[o % 4][i % 4]));
        check(
                run(engine, "sharing-contiguous", 1, 4),
                new double[] {3, 7, 11, 15},
                new double[] {110, 110, 254, 254, 398, 398, 542, 542},
                matrix((o, i) -> M4[o / 2][i / 2]));
        check(
                run(engine, "sharing-contiguous-tile", 1, 4),
                new double[] {3, 7, 11, 15},
                new double[] {110, 254, 398, 542, 110, 254, 398, 542},
                matrix((o, i) -> M4[o % 4][i / 2]));
        check(
                run(engine, "sharing-cyclic-interleave", 1, 4),
                new double[] {6, 8, 10, 12},
                new double[] {100, 100, 244, 244, 388, 388, 532, 532},
                matrix((o, i) -> M4[o / 2][i % 4]));
    }

    @ParameterizedTest
    @EngineSource
    void rankTwoRHatSixWithCyclicPadding(EngineBinding engine) {
        double[][] type1 = {
            {4, 6, 8, 10, 5, 6, 1, 2},
            {16, 18, 20, 22, 11, 12, 7, 8},
            {28, 30, 32, 34, 17, 18, 13, 14},
            {40, 42, 44, 46, 23, 24, 19, 20},
            {52, 54, 56, 58, 29, 30, 25, 26},
            {64, 66, 68, 70, 35, 36, 31, 32},
            {4, 6, 8, 10, 5, 6, 1, 2},
            {16, 18, 20, 22, 11, 12, 7, 8},
        };
        check(
                run(engine, "sharing", 2, 6),
                new double[] {8, 10, 4, 6, 8, 10},
                new double[] {164, 440, 716, 992, 1268, 1544, 164, 440},
                type1);
        double[][] type2 = {
            {1, 1, 2, 2, 3, 4, 5, 6},
            {1, 1, 2, 2, 3, 4, 5, 6},
            {7, 7, 8, 8, 9, 10, 11, 12},
            {7, 7, 8, 8, 9, 10, 11, 12},
            {13, 13, 14, 14, 15, 16, 17, 18},
            {19, 19, 20, 20, 21, 22, 23, 24},
            {25, 25, 26, 26, 27, 28, 29, 30},
            {31, 31, 32, 32, 33, 34, 35, 36},
        };
        check(
                run(engine, "sharing-contiguous", 2, 6),
                new double[] {3, 7, 5, 6, 7, 8},
                new double[] {139, 139, 355, 355, 571, 787, 1003, 1219},
                type2);

        // Not printed in §5: types 3 and 4 from the §4.3 table, g = [0,0,1,1,2,3,4,5] on both axes.
        double[][] type3 = matrix((o, i) -> M6[o % 6][MoraReference.group(8, 6, i)]);
        check(run(engine, "sharing-contiguous-tile", 2, 6), new double[] {3, 7, 5, 6, 7, 8}, times(type3), type3);
        double[][] type4 = matrix((o, i) -> {
            double sum = 0;
            for (int p = 0; p < 12; p++) {
                if (p % 8 == i) {
                    sum += M6[MoraReference.group(8, 6, o)][p % 6];
                }
            }
            return sum;
        });
        check(run(engine, "sharing-cyclic-interleave", 2, 6), new double[] {8, 10, 4, 6, 8, 10}, times(type4), type4);
    }

    private static double[] times(double[][] delta) {
        return Dense.matmul(new double[][] {X}, Dense.transpose(delta))[0];
    }
}
