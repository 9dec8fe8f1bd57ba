package dev.peft4j.mora.op.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.mora.OperatorInvariants;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;

/** docs/math.md §6 for types 1–4: ΔW = D·M·C with C and D built elementwise from §4.2. */
class SharingInvariantsTest {

    private static void check(
            EngineBinding engine,
            String operator,
            BiFunction<Integer, Integer, double[][]> compression,
            BiFunction<Integer, Integer, double[][]> decompression,
            boolean cyclic) {
        OperatorInvariants.Spec spec = new OperatorInvariants.Spec(
                operator,
                r -> r,
                (d, k, r) -> !cyclic || r <= 2 * k,
                (d, k, m) -> Dense.matmul(
                        Dense.matmul(decompression.apply(d, m.length), m), compression.apply(k, m.length)));
        int[] counts = OperatorInvariants.checkAll(engine, spec);
        assertTrue(counts[0] >= 50, "shapes checked: " + counts[0]);
        assertEquals(cyclic, counts[1] > 0, "shapes that needed the generalisation: " + counts[1]);
    }

    @ParameterizedTest
    @EngineSource
    void type1Sharing(EngineBinding engine) {
        check(engine, SharingOperator.NAME, MoraReference::cyclicCompression, MoraReference::tileDecompression, true);
    }

    @ParameterizedTest
    @EngineSource
    void type2Contiguous(EngineBinding engine) {
        check(
                engine,
                ContiguousSharingOperator.NAME,
                MoraReference::contiguousCompression,
                MoraReference::interleaveDecompression,
                false);
    }

    @ParameterizedTest
    @EngineSource
    void type3ContiguousTile(EngineBinding engine) {
        check(
                engine,
                ContiguousTileSharingOperator.NAME,
                MoraReference::contiguousCompression,
                MoraReference::tileDecompression,
                false);
    }

    @ParameterizedTest
    @EngineSource
    void type4CyclicInterleave(EngineBinding engine) {
        check(
                engine,
                CyclicInterleaveSharingOperator.NAME,
                MoraReference::cyclicCompression,
                MoraReference::interleaveDecompression,
                true);
    }
}
