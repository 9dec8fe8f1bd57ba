package dev.peft4j.mora.spi;

import ai.djl.ndarray.NDArray;

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

    /** Releases cached tables. */
    @Override
    default void close() {}
}
