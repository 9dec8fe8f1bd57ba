package dev.peft4j.mora.op.decouple;

import ai.djl.ndarray.NDArray;
import dev.peft4j.mora.BlockLayout;
import dev.peft4j.mora.MoraOps;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;

/** Decoupling bound to a layer: the block layout with M in every block. */
final class DecoupleCompression implements Compression {

    private final BlockLayout layout;

    DecoupleCompression(CompressionShape shape) {
        this.layout = new BlockLayout(shape);
    }

    /** The blocks {@code X_t}, (…, n_k, r̂). */
    @Override
    public NDArray compress(NDArray input) {
        return layout.split(input);
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
        NDArray rows = MoraOps.slice(m, 0, 0, layout.usedRows()).expandDims(0);
        return layout.deltaWeight(MoraOps.cyclic(rows, 0, layout.usedBlocks()));
    }
}
