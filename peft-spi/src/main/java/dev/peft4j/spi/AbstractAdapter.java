package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.Dropout;
import java.util.Objects;

/**
 * The part every adapter block shares: its configuration and target, and an output the shape of
 * the base output. A method extends it and adds its parameters and math.
 */
public abstract class AbstractAdapter extends AbstractBlock implements Adapter {

    private final AdapterConfig config;
    private final AdapterTarget target;

    /**
     * Records what the adapter was created for.
     *
     * @param config the configuration
     * @param target the layer
     */
    protected AbstractAdapter(AdapterConfig config, AdapterTarget target) {
        this.config = Objects.requireNonNull(config, "config");
        this.target = Objects.requireNonNull(target, "target");
    }

    @Override
    public final AdapterTarget target() {
        return target;
    }

    @Override
    public final AdapterConfig config() {
        return config;
    }

    /**
     * The input through the configured dropout in a training pass, the input itself otherwise.
     *
     * @param input x (…, k)
     * @param training whether this is a training pass
     * @return x or dropout(x), the same shape
     */
    protected final NDArray dropout(NDArray input, boolean training) {
        return training && config.dropout() > 0
                ? Dropout.dropout(input, config.dropout(), true).head()
                : input;
    }

    /** The adapter's output has the base output's shape. */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[BASE_OUTPUT]};
    }
}
