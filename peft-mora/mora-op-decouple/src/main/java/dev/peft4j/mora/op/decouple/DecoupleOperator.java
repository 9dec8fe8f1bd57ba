package dev.peft4j.mora.op.decouple;

import ai.djl.ndarray.NDManager;
import com.google.auto.service.AutoService;
import dev.peft4j.mora.OfficialDomain;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/**
 * {@code decouple}, the paper's decoupling operator (not in kongds/MoRA, so no {@code mora_type};
 * docs/math.md §4.5): the input is cut into {@code n_k = ⌈k/r̂⌉} blocks of r̂, each multiplied by the
 * same M, and the results concatenated, so {@code ΔW = blockdiag(M, …, M)} for d = k divisible by
 * r̂. Other shapes follow type 6's conventions with every rotation the identity: the input is padded
 * cyclically with its own first entries and the output truncated or tiled to d, {@code ΔW =
 * T·blockdiag(M, …, M)·F}. As for type 6, r̂ &gt; 2k needs {@code generalized=true}.
 */
@AutoService(CompressionOperator.class)
public final class DecoupleOperator implements CompressionOperator {

    /** The registry name. */
    public static final String NAME = "decouple";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptionalInt moraType() {
        return OptionalInt.empty();
    }

    @Override
    public void checkShape(CompressionShape shape) {
        OfficialDomain.requireCyclicPaddingFits(shape, NAME);
    }

    @Override
    public Compression bind(CompressionShape shape, NDManager manager) {
        checkShape(shape);
        return new DecoupleCompression(shape);
    }

    @Override
    public String toString() {
        return NAME + " (paper only)";
    }
}
