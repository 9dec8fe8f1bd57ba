package dev.peft4j.mora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;

/**
 * The test operators' binding: keeps the first r̂ inputs times a cached gain table and pads the
 * output with zeros, so {@code ΔW[o][i] = gain·M[o][i]} for o, i &lt; r̂. Tests extend it to
 * change one method.
 */
class WindowCompression implements Compression {

    private final CompressionShape shape;
    private final NDArray gain;

    WindowCompression(CompressionShape shape, NDManager manager, float gain) {
        this.shape = shape;
        this.gain = manager.full(new Shape(shape.reducedRank()), gain);
        NDScope.unregister(this.gain);
    }

    @Override
    public NDArray compress(NDArray input) {
        return MoraOps.fit(input, -1, shape.reducedRank()).mul(gain);
    }

    @Override
    public NDArray decompress(NDArray reduced) {
        return MoraOps.fit(reduced, -1, shape.outFeatures());
    }

    @Override
    public NDArray deltaWeight(NDArray m) {
        NDArray columns = MoraOps.fit(m.mul(gain), 1, shape.inFeatures());
        return MoraOps.fit(columns, 0, shape.outFeatures());
    }

    @Override
    public void close() {
        gain.close();
    }
}
