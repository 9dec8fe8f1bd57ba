package dev.peft4j.mora.op.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.OperatorInvariants;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/** docs/math.md §6 for type 6: ΔW = T·blockdiag(M·R_t)·F with R_t built elementwise from §4.4. */
class RotationInvariantsTest {

    private static double[][] reference(int d, int k, double[][] m) {
        return MoraReference.blockDelta(d, k, m.length, t -> Dense.matmul(m, MoraReference.rotation(t, m.length)));
    }

    @ParameterizedTest
    @EngineSource
    void identitiesHoldOnEveryShape(EngineBinding engine) {
        OperatorInvariants.Spec spec = new OperatorInvariants.Spec(
                RotationOperator.NAME, r -> r / 2 * 2, (d, k, r) -> k > r, RotationInvariantsTest::reference);
        int[] counts = OperatorInvariants.checkAll(engine, spec);
        assertTrue(counts[0] >= 50, "shapes checked: " + counts[0]);
        assertTrue(counts[1] > 0, "shapes that needed the generalisation: " + counts[1]);
    }

    /** An odd r̂ (only reachable by binding directly) fails, or leaves each block's last coordinate unrotated. */
    @ParameterizedTest
    @EngineSource
    void oddRHatIsAnErrorOrTheDocumentedGeneralisation(EngineBinding engine) {
        RotationOperator operator = new RotationOperator();
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            int cases = 0;
            for (int r : new int[] {1, 3, 5, 7}) {
                for (int[] dk : List.of(
                        new int[] {8, 8}, new int[] {5, 17}, new int[] {12, 4}, new int[] {3, 2}, new int[] {17, 31})) {
                    int d = dk[0];
                    int k = dk[1];
                    String what = "rotation d=" + d + " k=" + k + " r̂=" + r;
                    PeftException error = assertThrows(
                            PeftException.class, () -> operator.checkShape(new CompressionShape(d, k, r, false)));
                    assertTrue(error.getMessage().contains("generalized=true"), error.getMessage());
                    if (k > r) {
                        assertTrue(error.getMessage().contains("r̂ is odd"), what + ": " + error.getMessage());
                    }
                    try (NDManager scope = manager.newSubManager();
                            Compression compression = operator.bind(new CompressionShape(d, k, r, true), scope)) {
                        Random random = new Random(cases++);
                        double[][] m = Dense.roundToFloat(Dense.random(random, r, r));
                        NDArray mArray = Dense.toArray(scope, m);
                        double[][] delta = Dense.fromArray(compression.deltaWeight(mArray));
                        OperatorInvariants.checkIdentities(
                                x -> Dense.fromArray(compression.decompress(
                                        Linear.linear(compression.compress(Dense.toArray(scope, x)), mArray)
                                                .head())),
                                delta,
                                reference(d, k, m),
                                random,
                                what);
                    }
                }
            }
            assertEquals(20, cases);
        }
    }

    /** The cos/sin tables are built once per binding, in float32; forwards and ΔW add nothing to the binding's manager. */
    @ParameterizedTest
    @EngineSource
    void tablesAreBuiltOncePerBinding(EngineBinding engine) {
        try (NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
                NDManager tables = manager.newSubManager();
                NDManager work = manager.newSubManager()) {
            Compression compression = new RotationOperator().bind(new CompressionShape(16, 40, 8, false), tables);
            List<NDArray> built = tables.getManagedArrays();
            assertEquals(2, built.size(), "cos and sin");
            built.forEach(table -> assertEquals(DataType.FLOAT32, table.getDataType()));
            NDArray m = work.randomNormal(new ai.djl.ndarray.types.Shape(8, 8));
            for (int i = 0; i < 3; i++) {
                compression.decompress(
                        Linear.linear(compression.compress(work.ones(new ai.djl.ndarray.types.Shape(2, 40))), m)
                                .head());
                compression.deltaWeight(m);
            }
            assertEquals(2, tables.getManagedArrays().size(), "nothing new in the binding's manager");
            compression.close();
            built.forEach(table -> assertTrue(table.isReleased(), "released on close"));
        }
    }
}
