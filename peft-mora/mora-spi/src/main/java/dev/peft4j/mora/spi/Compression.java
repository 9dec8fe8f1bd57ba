package dev.peft4j.mora.spi;

import ai.djl.ndarray.NDArray;
import java.util.Optional;

/**
 * A compression operator bound to one layer's shape: the non-parameter maps around MoRA's M.
 *
 * <p>The adapter computes {@code decompress(compress(x)·Mᵀ)}; M acts on the last axis. Any
 * tables (RoPE's cos/sin) are built once at binding and released by {@link #close()}.
 */
public interface Compression extends AutoCloseable {

    /**
     * Compresses the input.
     *
     * @param input x (…, k)
     * @return (…, r̂) or (…, n, r̂)
     */
    NDArray compress(NDArray input);

    /**
     * Decompresses the product with M.
     *
     * @param reduced {@code compress(x)·Mᵀ}, (…, r̂) or (…, n, r̂)
     * @return (…, d)
     */
    NDArray decompress(NDArray reduced);

    /**
     * The weight-space update for M, built with tensor operations in O(d·k).
     *
     * @param m M (r̂, r̂)
     * @return ΔW (d, k)
     */
    NDArray deltaWeight(NDArray m);

    /**
     * Whether {@link #decompress} only reshapes (…, n, r̂) into (…, d), with n·r̂ = d (no
     * truncation, tiling or sums): the adapter then adds the product with M to the layer's output in
     * the matmul itself, saving a pass over (…, d).
     *
     * @return false by default
     */
    default boolean decompressIsReshape() {
        return false;
    }

    /**
     * The compression and M folded into one r̂×r̂ matrix per block, for an operator whose {@link
     * #compress} cuts x (…, k) into n blocks of r̂ by a plain reshape (k = n·r̂) and maps block t
     * linearly: then {@code compress(x)·Mᵀ} at block t equals {@code x_t·F_tᵀ}. The adapter keeps
     * them across eval forwards (built once while M is unchanged) and applies them in one batched
     * product, with no pass of the compression over x.
     *
     * @param m M (r̂, r̂)
     * @return F (n, r̂, r̂), block t's matrix with its outputs as rows: a new array in M's manager,
     *     which the caller owns; empty by default
     */
    default Optional<NDArray> foldedBlocks(NDArray m) {
        return Optional.empty();
    }

    /** Releases cached tables. */
    @Override
    default void close() {}
}
