package dev.peft4j.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.mora.spi.CompressionShape;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/** The reshape-and-concatenate layout against T·blockdiag·F built in plain Java (docs/math.md §4.4). */
class BlockLayoutTest {

    private static final int[] SIZES = {1, 2, 3, 5, 8, 13};

    @ParameterizedTest
    @EngineSource
    void deltaWeightIsTBlockdiagF(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            for (int d : SIZES) {
                for (int k : SIZES) {
                    for (int r : new int[] {1, 2, 3, 6, 11}) {
                        BlockLayout layout = new BlockLayout(new CompressionShape(d, k, r, true));
                        int blocks = (k + r - 1) / r;
                        assertEquals(blocks, layout.blocks());
                        Random random = new Random(d * 100 + k * 10 + r);
                        double[][][] matrices = new double[blocks][][];
                        for (int t = 0; t < blocks; t++) {
                            matrices[t] = Dense.roundToFloat(Dense.random(random, r, r));
                        }
                        double[][] expected = MoraReference.blockDelta(d, k, r, t -> matrices[t]);
                        try (NDManager scope = manager.newSubManager()) {
                            NDArray used = usedBlocks(scope, matrices, layout.usedBlocks(), layout.usedRows());
                            Dense.assertClose(
                                    expected,
                                    Dense.fromArray(layout.deltaWeight(used)),
                                    1e-5 * 10 * r,
                                    "d=" + d + " k=" + k + " r̂=" + r);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void splitPadsCyclicallyAndJoinTruncatesOrTiles(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            BlockLayout layout = new BlockLayout(new CompressionShape(16, 8, 6, false));
            NDArray x = manager.arange(1f, 9f).reshape(1, 8);
            NDArray blocks = layout.split(x);
            assertEquals(new Shape(1, 2, 6), blocks.getShape());
            Dense.assertClose(
                    new double[][] {{1, 2, 3, 4, 5, 6}, {7, 8, 1, 2, 3, 4}},
                    Dense.fromArray(blocks.reshape(2, 6)),
                    0,
                    "x̃ blocks");
            double[][] joined = Dense.fromArray(layout.join(blocks));
            Dense.assertClose(
                    new double[][] {{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 1, 2, 3, 4}}, joined, 0, "z tiled to d = 16");
            BlockLayout narrow = new BlockLayout(new CompressionShape(5, 8, 6, false));
            Dense.assertClose(
                    new double[][] {{1, 2, 3, 4, 5}}, Dense.fromArray(narrow.join(blocks)), 0, "z truncated to d = 5");
        }
    }

    @ParameterizedTest
    @EngineSource
    void deltaWeightRejectsBlocksOfTheWrongShape(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            BlockLayout layout = new BlockLayout(new CompressionShape(8, 8, 4, false));
            IllegalArgumentException error = assertThrows(
                    IllegalArgumentException.class, () -> layout.deltaWeight(manager.zeros(new Shape(1, 4, 4))));
            assertEquals("Block matrices must have shape (2, 4, 4), got (1, 4, 4)", error.getMessage());
        }
    }

    private static NDArray usedBlocks(NDManager manager, double[][][] matrices, int blocks, int rows) {
        int r = matrices[0].length;
        float[] flat = new float[blocks * rows * r];
        for (int t = 0; t < blocks; t++) {
            for (int a = 0; a < rows; a++) {
                for (int c = 0; c < r; c++) {
                    flat[(t * rows + a) * r + c] = (float) matrices[t][a][c];
                }
            }
        }
        NDArray array = manager.zeros(new Shape(blocks, rows, r));
        InPlace.copy(flat, array);
        return array;
    }
}
