package dev.peft4j.spi;

import ai.djl.ndarray.types.DataType;
import java.util.Objects;

/**
 * The layer an adapter is created for: a linear layer, or an embedding (a lookup table), which
 * adapters treat as the linear map {@code W = Eᵀ} from one-hot token vectors.
 *
 * @param path the layer's dotted module path, for example {@code layers.0.attn.q_proj}
 * @param inFeatures k, the layer's input features (V, the table's rows, for an embedding)
 * @param outFeatures d, the layer's output features (D, the table's columns, for an embedding)
 * @param dataType the data type of the layer's weight
 * @param fanInFanOut whether the weight is stored (in, out), as in GPT-2's Conv1D and every
 *     embedding table E (V, D), rather than (out, in); {@link Adapter#deltaWeight} is always (out,
 *     in), callers transpose
 * @param embedding whether the layer is an embedding: the adapter's forward input is then the token
 *     ids rather than x (see {@link Adapter})
 */
public record AdapterTarget(
        String path, int inFeatures, int outFeatures, DataType dataType, boolean fanInFanOut, boolean embedding) {

    /**
     * Validates the fields.
     *
     * @param path the layer's dotted module path, for example {@code layers.0.attn.q_proj}
     * @param inFeatures k, the layer's input features (V for an embedding)
     * @param outFeatures d, the layer's output features (D for an embedding)
     * @param dataType the data type of the layer's weight
     * @param fanInFanOut whether the weight is stored (in, out)
     * @param embedding whether the layer is an embedding
     */
    public AdapterTarget {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(dataType, "dataType");
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException(
                    "Layer '" + path + "' must have positive features, got in=" + inFeatures + ", out=" + outFeatures);
        }
        if (embedding && !fanInFanOut) {
            throw new IllegalArgumentException(
                    "Embedding '" + path + "' stores its table (V, D), which is (in, out): fanInFanOut must be true");
        }
    }

    /**
     * A linear layer's target.
     *
     * @param path the layer's dotted module path
     * @param inFeatures k
     * @param outFeatures d
     * @param dataType the weight's data type
     * @param fanInFanOut whether the weight is stored (in, out)
     */
    public AdapterTarget(String path, int inFeatures, int outFeatures, DataType dataType, boolean fanInFanOut) {
        this(path, inFeatures, outFeatures, dataType, fanInFanOut, false);
    }

    /**
     * A linear layer whose weight is stored (out, in), the layout of DJL's and PyTorch's linear
     * layers.
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

    /**
     * An embedding with table E (V, D).
     *
     * @param path the module path
     * @param vocabulary V, the table's rows
     * @param dimension D, the table's columns
     * @param dataType the table's data type
     * @return the target, with k = V and d = D
     */
    public static AdapterTarget embedding(String path, int vocabulary, int dimension, DataType dataType) {
        return new AdapterTarget(path, vocabulary, dimension, dataType, true, true);
    }
}
