package dev.peft4j.mora.op.truncation;

import ai.djl.ndarray.NDManager;
import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/**
 * {@code truncation}, the paper's naive operator (not in kongds/MoRA, so no {@code mora_type};
 * docs/math.md §4.5): {@code compress(x) = x_{0:r̂}} and {@code decompress(y) = [y; 0]}, so {@code
 * ΔW[o][i] = M[o][i]} for {@code o < min(d, r̂)} and {@code i < min(k, r̂)}, and 0 elsewhere. By
 * convention the input is padded with zeros when k &lt; r̂ and the output truncated when d &lt; r̂, so
 * every shape works. It ignores all inputs past r̂, which is why the paper does not use it.
 */
@AutoService(CompressionOperator.class)
public final class TruncationOperator implements CompressionOperator {

    /** The registry name. */
    public static final String NAME = "truncation";

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
        return new TruncationCompression(shape);
    }

    @Override
    public String toString() {
        return NAME + " (paper only)";
    }
}
