package dev.peft4j.mora.op.sharing;

import ai.djl.ndarray.NDArray;
import dev.peft4j.mora.MoraOps;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;

/** A sharing operator bound to a layer: {@code decompress(y) = D·y}, {@code compress(x) = C·x}, {@code ΔW = D·M·C}. */
final class SharingCompression implements Compression {

    private final CompressionShape shape;
    private final Compressor compressor;
    private final Decompressor decompressor;

    SharingCompression(CompressionShape shape, Compressor compressor, Decompressor decompressor) {
        this.shape = shape;
        this.compressor = compressor;
        this.decompressor = decompressor;
    }

    @Override
    public NDArray compress(NDArray input) {
        return compressor.compress(input, shape);
    }

    @Override
    public NDArray decompress(NDArray reduced) {
        return decompressor.expand(reduced, -1, shape.outFeatures());
    }

    /** Only M's first min(d, r̂) rows reach an output, whichever decompressor spreads them. */
    @Override
    public NDArray deltaWeight(NDArray m) {
        NDArray rows = MoraOps.slice(m, 0, 0, Math.min(shape.outFeatures(), shape.reducedRank()));
        return decompressor.expand(compressor.rightMultiply(rows, shape), 0, shape.outFeatures());
    }
}
