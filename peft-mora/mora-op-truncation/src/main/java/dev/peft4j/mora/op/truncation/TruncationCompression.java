package dev.peft4j.mora.op.truncation;

import ai.djl.ndarray.NDArray;
import dev.peft4j.mora.MoraOps;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;

/** Truncation bound to a layer: keep or zero-pad to r̂ on the way in, to d on the way out. */
final class TruncationCompression implements Compression {

    private final CompressionShape shape;

    TruncationCompression(CompressionShape shape) {
        this.shape = shape;
    }

    @Override
    public NDArray compress(NDArray input) {
        return MoraOps.fit(input, -1, shape.reducedRank());
    }

    @Override
    public NDArray decompress(NDArray reduced) {
        return MoraOps.fit(reduced, -1, shape.outFeatures());
    }

    @Override
    public NDArray deltaWeight(NDArray m) {
        return MoraOps.fit(MoraOps.fit(m, 0, shape.outFeatures()), 1, shape.inFeatures());
    }
}
