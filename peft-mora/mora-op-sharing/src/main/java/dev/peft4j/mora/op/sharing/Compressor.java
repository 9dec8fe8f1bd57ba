package dev.peft4j.mora.op.sharing;

import ai.djl.ndarray.NDArray;
import dev.peft4j.mora.MoraOps;
import dev.peft4j.mora.OfficialDomain;
import dev.peft4j.mora.spi.CompressionShape;

/** How the sharing operators group the k inputs into r̂ sums (docs/math.md §4.2). */
enum Compressor {

    /**
     * Cyclic sums (types 1, 4): {@code c_j = Σ_t x̃_{t·r̂+j}} over the input padded cyclically to
     * {@code n_k·r̂}, so {@code C[j][i] = #{p < n_k·r̂ : p ≡ j (mod r̂), p ≡ i (mod k)}}.
     */
    CYCLIC {
        @Override
        NDArray compress(NDArray input, CompressionShape shape) {
            return MoraOps.foldSum(MoraOps.cyclic(input, -1, padded(shape)), shape.reducedRank());
        }

        @Override
        NDArray rightMultiply(NDArray m, CompressionShape shape) {
            return MoraOps.foldSum(MoraOps.cyclic(m, -1, padded(shape)), shape.inFeatures());
        }

        @Override
        void checkShape(CompressionShape shape, String operator) {
            OfficialDomain.requireCyclicPaddingFits(shape, operator);
        }

        private long padded(CompressionShape shape) {
            long r = shape.reducedRank();
            return MoraOps.ceilDiv(shape.inFeatures(), r) * r;
        }
    },

    /**
     * Contiguous sums (types 2, 3): group j adds the j-th run of ⌊k/r̂⌋ or ⌊k/r̂⌋ + 1 inputs, so
     * {@code C[j][i] = [g_k(i) = j]}; with k &lt; r̂ the groups past k are empty (zero padding).
     */
    CONTIGUOUS {
        @Override
        NDArray compress(NDArray input, CompressionShape shape) {
            return MoraOps.groupSum(input, shape.reducedRank());
        }

        @Override
        NDArray rightMultiply(NDArray m, CompressionShape shape) {
            return MoraOps.interleave(m, -1, shape.inFeatures());
        }

        @Override
        void checkShape(CompressionShape shape, String operator) {}
    };

    /**
     * {@code c = C·x} on the last axis.
     *
     * @param input x (…, k)
     * @param shape d, k and r̂
     * @return c (…, r̂)
     */
    abstract NDArray compress(NDArray input, CompressionShape shape);

    /**
     * {@code M·C}, the weight-space side of {@link #compress}.
     *
     * @param m rows of M (a, r̂)
     * @param shape d, k and r̂
     * @return (a, k)
     */
    abstract NDArray rightMultiply(NDArray m, CompressionShape shape);

    /**
     * Fails on shapes where kongds/MoRA's compression does not run, unless generalised.
     *
     * @param shape the shape
     * @param operator the operator's name, for the message
     */
    abstract void checkShape(CompressionShape shape, String operator);
}
