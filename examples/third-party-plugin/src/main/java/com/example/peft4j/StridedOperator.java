package com.example.peft4j;

import ai.djl.ndarray.NDManager;
import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/**
 * {@code strided}, a MoRA compression operator that spreads M over the whole weight instead of
 * its top-left corner (compare the paper's truncation). With input stride {@code s = ⌈k/r̂⌉} and
 * output stride {@code t = ⌈d/r̂⌉}:
 *
 * <pre>
 * compress(x)_j   = x_{j·s}  for j·s &lt; k, else 0               (j &lt; r̂)
 * decompress(y)_o = y_{o/t}  when t divides o, else 0           (o &lt; d)
 * ΔW[o][i]        = M[o/t][i/s] when t divides o and s divides i, else 0
 * </pre>
 *
 * So every s-th input reaches M and M writes every t-th output; when k ≤ r̂ and d ≤ r̂ it is
 * truncation. Every shape works, r̂ is used as the rank rule gives it, and there is no official
 * {@code mora_type}. ΔW is built from M with reshapes, zero padding and slices in O(d·k).
 */
@AutoService(CompressionOperator.class)
public final class StridedOperator implements CompressionOperator {

    /** The registry name. */
    public static final String NAME = "strided";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptionalInt moraType() {
        return OptionalInt.empty();
    }

    @Override
    public Compression bind(CompressionShape shape, NDManager manager) {
        return new StridedCompression(shape);
    }

    @Override
    public String toString() {
        return NAME + " (third-party example)";
    }
}
