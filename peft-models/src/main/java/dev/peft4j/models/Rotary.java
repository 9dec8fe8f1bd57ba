package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding tables (Su et al. 2021, RoFormer §3.4.2) in transformers' rotate_half
 * layout: for head width d_h and position p, angle_i = p·θ_i with θ_i = base^(−2i/d_h), i &lt; d_h/2,
 * scaled by {@code rope_scaling}; cos and sin of the angles, repeated for both halves of a head.
 */
final class Rotary {

    private final float[] inverseFrequencies;

    Rotary(ModelConfig config) {
        int half = config.headDim() / 2;
        double[] theta = new double[half];
        for (int i = 0; i < half; i++) {
            theta[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim());
        }
        if (config.ropeScaling() != null) {
            config.ropeScaling().apply(theta);
        }
        inverseFrequencies = new float[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = (float) theta[i];
        }
    }

    /**
     * cos and sin for each position, shaped to broadcast over heads.
     *
     * @param positions position ids, row-major (B, T)
     * @param batch B
     * @param manager owns the arrays
     * @return {cos, sin}, each (B, 1, T, d_h)
     */
    NDArray[] tables(long[] positions, int batch, NDManager manager) {
        int half = inverseFrequencies.length;
        int width = 2 * half;
        float[] cos = new float[positions.length * width];
        float[] sin = new float[positions.length * width];
        for (int n = 0; n < positions.length; n++) {
            for (int i = 0; i < half; i++) {
                // float32 product as transformers forms it, then cos/sin of that float
                float angle = (float) positions[n] * inverseFrequencies[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[n * width + i] = c;
                cos[n * width + half + i] = c;
                sin[n * width + i] = s;
                sin[n * width + half + i] = s;
            }
        }
        Shape shape = new Shape(batch, 1, positions.length / batch, width);
        return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
    }
}
