package dev.peft4j.mora.op.rotation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.mora.BlockLayout;
import dev.peft4j.mora.MoraOps;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.Optional;

/**
 * The rotation bound to a layer, with its cos/sin tables (n_k, r̂) built once in float32 as
 * kongds/MoRA builds them. With {@code swap(u) = [u_{h:2h}, u_{0:h}, u_{2h:}]} and a signed sine
 * table (−sin for j &lt; h, +sin for h ≤ j &lt; 2h, 0 for an unpaired last coordinate), {@code R_t·u =
 * u ⊙ cos_t + swap(u) ⊙ sin_t} and {@code M·R_t = M ⊙ cos_t − swap(M) ⊙ sin_t} column-wise.
 */
final class RotationCompression implements Compression {

    private final int reducedRank;
    private final BlockLayout layout;
    private final NDArray cos;
    private final NDArray sin;

    RotationCompression(CompressionShape shape, NDManager manager) {
        this.reducedRank = shape.reducedRank();
        this.layout = new BlockLayout(shape);
        int blocks = layout.blocks();
        int half = reducedRank / 2;
        float[] cosines = new float[blocks * reducedRank];
        float[] sines = new float[blocks * reducedRank];
        for (int t = 0; t < blocks; t++) {
            for (int j = 0; j < reducedRank; j++) {
                int at = t * reducedRank + j;
                if (j >= 2 * half) {
                    cosines[at] = 1;
                    continue;
                }
                float inverseFrequency = 1f / (float) Math.pow(10000, (float) (2 * (j % half)) / reducedRank);
                float angle = t * inverseFrequency;
                cosines[at] = (float) Math.cos(angle);
                sines[at] = (j < half ? -1 : 1) * (float) Math.sin(angle);
            }
        }
        Shape tables = new Shape(blocks, reducedRank);
        this.cos = manager.create(cosines, tables);
        this.sin = manager.create(sines, tables);
        NDScope.unregister(cos, sin);
    }

    /** The rotated blocks {@code R_t·X_t}, (…, n_k, r̂). */
    @Override
    public NDArray compress(NDArray input) {
        NDArray blocks = layout.split(input);
        return blocks.mul(cos).add(swapHalves(blocks).mul(sin));
    }

    @Override
    public NDArray decompress(NDArray reduced) {
        return layout.join(reduced);
    }

    @Override
    public boolean decompressIsReshape() {
        return layout.joinIsReshape();
    }

    @Override
    public NDArray deltaWeight(NDArray m) {
        return layout.deltaWeight(rotatedBlocks(MoraOps.slice(m, 0, 0, layout.usedRows()), layout.usedBlocks()));
    }

    /** {@code M·R_t} for every block, when the input splits into the blocks by a reshape. */
    @Override
    public Optional<NDArray> foldedBlocks(NDArray m) {
        return layout.splitIsReshape() ? Optional.of(rotatedBlocks(m, layout.blocks())) : Optional.empty();
    }

    /** (blocks, rows, r̂): the rows of M times R_t for the leading blocks t, column-wise {@code M ⊙ cos_t − swap(M) ⊙ sin_t}. */
    private NDArray rotatedBlocks(NDArray rows, int blocks) {
        NDIndex leading = new NDIndex().addSliceDim(0, blocks);
        NDArray cosines = cos.get(rows.getManager(), leading).expandDims(1);
        NDArray sines = sin.get(rows.getManager(), leading).expandDims(1);
        NDArray matrix = rows.expandDims(0);
        return matrix.mul(cosines).sub(swapHalves(matrix).mul(sines));
    }

    private NDArray swapHalves(NDArray u) {
        int half = reducedRank / 2;
        if (half == 0) {
            return u;
        }
        NDArray swapped = MoraOps.slice(u, -1, half, 2L * half).concat(MoraOps.slice(u, -1, 0, half), -1);
        return reducedRank % 2 == 0 ? swapped : swapped.concat(MoraOps.slice(u, -1, 2L * half, reducedRank), -1);
    }

    @Override
    public void close() {
        cos.close();
        sin.close();
    }
}
