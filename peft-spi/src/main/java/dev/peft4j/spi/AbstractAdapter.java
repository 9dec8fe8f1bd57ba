package dev.peft4j.spi;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
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

    /** The adapter's output has the base output's shape. */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[BASE_OUTPUT]};
    }
}
