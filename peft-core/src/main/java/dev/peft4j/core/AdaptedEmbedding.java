package dev.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.spi.Adapter;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A frozen embedding with named adapters on top: {@code h = E[ids] + Σ adapter(ids)} over the
 * enabled, unmerged adapters (see {@link AdaptedLayer}). Adapters see the table E (V, D) as the
 * linear map {@code W0 = Eᵀ} (D, V) from one-hot ids, so merging writes {@code E + ΔWᵀ}, as PEFT's
 * LoRA on {@code nn.Embedding} does.
 */
public final class AdaptedEmbedding extends AdaptedLayer implements LookupTable {

    /**
     * Wraps an initialised embedding and freezes its table.
     *
     * @param path the layer's module path
     * @param base the embedding block: a {@link LookupTable} or DJL's {@link ai.djl.nn.core.Embedding}
     * @param table its table (V, D)
     * @param modelCanLearn whether any layer of the model has an adapter that trains
     */
    AdaptedEmbedding(String path, Block base, Parameter table, BooleanSupplier modelCanLearn) {
        super(path, base, table, null, modelCanLearn);
        // an embedding whose table was set directly (loaded, not initialised) has no recorded input shape: ids (1, 1)
        this.inputShapes = base.isInitialized() ? base.getInputShapes() : new Shape[] {new Shape(1, 1)};
    }

    @Override
    public Parameter table() {
        return weight();
    }

    /** V, the table's rows. */
    @Override
    public int inFeatures() {
        return Math.toIntExact(weight().getShape().get(0));
    }

    /** D, the table's columns. */
    @Override
    public int outFeatures() {
        return Math.toIntExact(weight().getShape().get(1));
    }

    @Override
    protected NDArray linearMap(NDArray stored) {
        return stored.transpose();
    }

    @Override
    protected NDArray stored(NDArray linear) {
        return linear.transpose();
    }

    @Override
    protected NDArray compute(
            ParameterStore store,
            NDArray ids,
            List<Adapter> active,
            boolean training,
            PairList<String, Object> params) {
        NDList baseOutput = base().forward(store, new NDList(ids), training, params);
        if (active.isEmpty()) {
            return baseOutput.singletonOrThrow();
        }
        // Results join their first operand's manager: keep the transposed view in the ids', not the table's.
        NDArray linearMap = store.getValue(weight(), ids.getDevice(), training).transpose();
        linearMap.attach(ids.getManager());
        NDArray rows = baseOutput.singletonOrThrow();
        return addAdapters(store, active, rows, Adapter.inputs(ids, rows, linearMap), training, params);
    }
}
