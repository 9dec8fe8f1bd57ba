package dev.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.spi.Adapter;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A frozen DJL {@link Linear} layer with named adapters on top: {@code h = x·W0ᵀ + Σ adapter(x) +
 * b} over the enabled, unmerged adapters (see {@link AdaptedLayer}).
 */
public final class AdaptedLinear extends AdaptedLayer {

    /**
     * Wraps an initialised linear layer and freezes its parameters.
     *
     * @param path the layer's module path
     * @param base the layer
     * @param modelCanLearn whether any layer of the model has an adapter that trains
     */
    AdaptedLinear(String path, Linear base, BooleanSupplier modelCanLearn) {
        super(
                path,
                base,
                base.getParameters().get("weight"),
                base.getParameters().get("bias"),
                modelCanLearn);
        // a layer whose weights were set directly (loaded, not initialised) has no recorded input shape
        this.inputShapes = base.isInitialized() ? base.getInputShapes() : new Shape[] {new Shape(1, inFeatures())};
    }

    @Override
    public int inFeatures() {
        return Math.toIntExact(weight().getShape().get(1));
    }

    @Override
    public int outFeatures() {
        return Math.toIntExact(weight().getShape().get(0));
    }

    @Override
    protected NDArray linearMap(NDArray stored) {
        return stored;
    }

    @Override
    protected NDArray stored(NDArray linear) {
        return linear;
    }

    @Override
    protected NDArray compute(
            ParameterStore store, NDArray x, List<Adapter> active, boolean training, PairList<String, Object> params) {
        NDArray w = store.getValue(weight(), x.getDevice(), training);
        NDArray b = bias() == null ? null : store.getValue(bias(), x.getDevice(), training);
        if (active.stream().noneMatch(Adapter::usesBaseOutput)) {
            // x·W0ᵀ + b in one fused operation; no adapter reads the bias-free x·W0ᵀ
            NDArray out = Linear.linear(x, w, b).head();
            return addAdapters(store, active, out, Adapter.inputs(x, null, w), training, params);
        }
        NDArray baseOutput = Linear.linear(x, w).head();
        NDArray out = addAdapters(store, active, baseOutput, Adapter.inputs(x, baseOutput, w), training, params);
        return b == null ? out : training ? out.add(b) : out.addi(b);
    }
}
