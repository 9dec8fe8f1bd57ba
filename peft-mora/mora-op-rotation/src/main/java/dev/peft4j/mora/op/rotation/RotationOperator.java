package dev.peft4j.mora.op.rotation;

import ai.djl.ndarray.NDManager;
import com.google.auto.service.AutoService;
import dev.peft4j.mora.OfficialDomain;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/**
 * {@code rotation}, kongds/MoRA's {@code mora_type} 6 and the paper's Eq. 9 (docs/math.md §4.4): the
 * input, padded cyclically to {@code n_k·r̂}, is cut into {@code n_k = ⌈k/r̂⌉} blocks; block t is
 * rotated by RoPE's R_t in the rotate_half layout (pairs (j, j + r̂/2), angles {@code t·θ_j} with
 * {@code θ_j = 10000^(−2j/r̂)}, so block 0 is not rotated) and multiplied by M; the results are
 * concatenated and truncated or tiled to d. {@code ΔW = T·blockdiag(M·R_0, …, M·R_{n_k−1})·F}.
 *
 * <p>r̂ is made even. Outside kongds/MoRA's domain, {@code generalized=true} allows: r̂ &gt; 2k
 * (the input is padded with {@code x_{p mod k}}), k ≤ r̂ (one block, where the official merge
 * fails; ΔW is {@code T·M·F}), and an odd r̂ given directly to {@link #bind} (the last coordinate
 * of each block is not rotated; the pairs (j, j + ⌊r̂/2⌋) keep {@code θ_j = 10000^(−2j/r̂)}).
 */
@AutoService(CompressionOperator.class)
public final class RotationOperator implements CompressionOperator {

    /** The registry name. */
    public static final String NAME = "rotation";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptionalInt moraType() {
        return OptionalInt.of(6);
    }

    /**
     * Makes r̂ even: {@code 2⌊r̂/2⌋}.
     *
     * @param reducedRank r̂ from the rank rule
     * @return the even r̂
     */
    @Override
    public int adjustRank(int reducedRank) {
        return reducedRank / 2 * 2;
    }

    @Override
    public void checkShape(CompressionShape shape) {
        OfficialDomain.requireCyclicPaddingFits(shape, NAME);
        OfficialDomain.require(
                shape,
                NAME,
                shape.inFeatures() > shape.reducedRank(),
                "k ≤ r̂ leaves a single block, and its merge fails on an unbound loop index");
        OfficialDomain.require(
                shape, NAME, shape.reducedRank() % 2 == 0, "r̂ is odd, so its cos/sin tables do not broadcast");
    }

    @Override
    public Compression bind(CompressionShape shape, NDManager manager) {
        checkShape(shape);
        return new RotationCompression(shape, manager);
    }

    @Override
    public String toString() {
        return NAME + " (mora_type 6)";
    }
}
