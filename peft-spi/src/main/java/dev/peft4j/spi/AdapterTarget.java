package dev.peft4j.spi;

import ai.djl.ndarray.types.DataType;
import java.util.Objects;

/**
 * The linear layer an adapter is created for.
 *
 * @param path the layer's dotted module path, for example {@code layers.0.attn.q_proj}
 * @param inFeatures k, the layer's input features
 * @param outFeatures d, the layer's output features
 * @param dataType the data type of the layer's weight
 * @param fanInFanOut whether the weight is stored (in, out), as in GPT-2's Conv1D, rather than
 *     (out, in); {@link Adapter#deltaWeight} is always (out, in), callers transpose
 */
public record AdapterTarget(String path, int inFeatures, int outFeatures, DataType dataType, boolean fanInFanOut) {

    /**
     * Validates the fields.
     *
     * @param path the layer's dotted module path, for example {@code layers.0.attn.q_proj}
     * @param inFeatures k, the layer's input features
     * @param outFeatures d, the layer's output features
     * @param dataType the data type of the layer's weight
     * @param fanInFanOut whether the weight is stored (in, out), as in GPT-2's Conv1D, rather than
     *     (out, in); {@link Adapter#deltaWeight} is always (out, in), callers transpose
     */
    public AdapterTarget {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(dataType, "dataType");
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException(
                    "Layer '" + path + "' must have positive features, got in=" + inFeatures + ", out=" + outFeatures);
        }
    }

    /**
     * A target whose weight is stored (out, in), the layout of DJL's and PyTorch's linear layers.
     *
     * @param path the module path
     * @param inFeatures k
     * @param outFeatures d
     * @param dataType the weight's data type
     * @return the target
     */
    public static AdapterTarget of(String path, int inFeatures, int outFeatures, DataType dataType) {
        return new AdapterTarget(path, inFeatures, outFeatures, dataType, false);
    }
}
