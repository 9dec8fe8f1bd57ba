package dev.peft4j.mora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.mora.spi.CompressionShape;

/**
 * The reshape-and-concatenate layout of rotation (type 6, docs/math.md §4.4) and decoupling (§4.5): the
 * input is padded cyclically to {@code n_k·r̂} ({@code x̃_p = x_{p mod k}}) and cut into {@code n_k
 * = ⌈k/r̂⌉} blocks of r̂; block t goes through its own r̂×r̂ matrix (M·R_t, or M); the
 * concatenated results are truncated or tiled cyclically to d outputs. In weight space this is
 * {@code ΔW = T·blockdiag(M_0, …, M_{n_k−1})·F}.
 */
public final class BlockLayout {

    private final CompressionShape shape;
    private final int blocks;

    /**
     * The layout of a shape.
     *
     * @param shape d, k and r̂
     */
    public BlockLayout(CompressionShape shape) {
        this.shape = shape;
        this.blocks = Math.toIntExact(MoraOps.ceilDiv(shape.inFeatures(), shape.reducedRank()));
    }

    /**
     * n_k, the number of blocks.
     *
     * @return ⌈k/r̂⌉
     */
    public int blocks() {
        return blocks;
    }

    /**
     * The blocks whose outputs reach one of the d outputs: {@code min(n_k, ⌈d/r̂⌉)}; the others are
     * truncated away.
     *
     * @return the number of leading blocks that matter for ΔW
     */
    public int usedBlocks() {
        return Math.toIntExact(Math.min(blocks, MoraOps.ceilDiv(shape.outFeatures(), shape.reducedRank())));
    }

    /**
     * The rows of each block's matrix that {@link #deltaWeight} needs: {@code min(r̂, d)}.
     *
     * @return the number of leading rows
     */
    public int usedRows() {
        return Math.min(shape.reducedRank(), shape.outFeatures());
    }

    /**
     * Whether {@link #split} is a plain reshape: the input is exactly the blocks ({@code n_k·r̂ =
     * k}), so nothing is padded.
     *
     * @return whether n_k·r̂ = k
     */
    public boolean splitIsReshape() {
        return (long) blocks * shape.reducedRank() == shape.inFeatures();
    }

    /**
     * Whether {@link #join} is a plain reshape: the blocks' outputs are exactly d ({@code n_k·r̂ =
     * d}), so nothing is truncated or tiled.
     *
     * @return whether n_k·r̂ = d
     */
    public boolean joinIsReshape() {
        return (long) blocks * shape.reducedRank() == shape.outFeatures();
    }

    /**
     * Pads the input cyclically and cuts it into blocks.
     *
     * @param input x (…, k)
     * @return (…, n_k, r̂), block t holding {@code x̃[t·r̂ : (t+1)·r̂]}
     */
    public NDArray split(NDArray input) {
        long r = shape.reducedRank();
        return MoraOps.reshapeLast(MoraOps.cyclic(input, -1, blocks * r), 1, blocks, r);
    }

    /**
     * Concatenates the blocks' outputs and truncates or tiles them to d.
     *
     * @param outputs (…, n_k, r̂)
     * @return (…, d), {@code out_o = z_{o mod n_k·r̂}}
     */
    public NDArray join(NDArray outputs) {
        NDArray flat = MoraOps.reshapeLast(outputs, 2, (long) blocks * shape.reducedRank());
        return MoraOps.cyclic(flat, -1, shape.outFeatures());
    }

    /**
     * {@code ΔW = T·blockdiag(M_0, …, M_{n_k−1})·F}, built from the used blocks and rows only, in
     * O(d·(k + r̂)) work.
     *
     * @param blockMatrices (usedBlocks, usedRows, r̂): the leading rows of the leading blocks'
     *     matrices M_t
     * @return ΔW (d, k)
     * @throws IllegalArgumentException when the blocks do not have that shape
     */
    public NDArray deltaWeight(NDArray blockMatrices) {
        Shape expected = new Shape(usedBlocks(), usedRows(), shape.reducedRank());
        if (!blockMatrices.getShape().equals(expected)) {
            throw new IllegalArgumentException(
                    "Block matrices must have shape " + expected + ", got " + blockMatrices.getShape());
        }
        NDArray rows = MoraOps.foldSum(blockDiagonal(blockMatrices), shape.inFeatures());
        return MoraOps.cyclic(rows, 0, shape.outFeatures());
    }

    /** (n, a, r̂) → (n·a, n_k·r̂) with block t at rows t·a and columns t·r̂, zeros elsewhere. */
    private NDArray blockDiagonal(NDArray blockMatrices) {
        long n = blockMatrices.getShape().get(0);
        long rows = blockMatrices.getShape().get(1);
        long r = shape.reducedRank();
        NDArray placement = blockMatrices
                .getManager()
                .eye((int) n, blocks, 0, blockMatrices.getDataType(), blockMatrices.getDevice())
                .reshape(n, 1, blocks, 1);
        return blockMatrices.reshape(n, rows, 1, r).mul(placement).reshape(n * rows, blocks * r);
    }
}
