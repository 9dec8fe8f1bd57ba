package dev.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A frozen layer with named adapters on top: a linear layer ({@link AdaptedLinear}) or an embedding
 * ({@link AdaptedEmbedding}). It keeps the adapters, which of them are enabled and which are merged;
 * the subclass runs the base layer and adds the enabled, unmerged adapters' outputs.
 *
 * <p>Merging writes the enabled adapters into the base weight in place, so the forward is the base
 * layer's again; unmerging restores W0 to fp32 round-off. Adapters see the weight as the linear map
 * W0 (d, k) ({@link #linearMap}). Thread safety: concurrent inference forwards are safe; adding
 * adapters, enabling, merging, unmerging and training need exclusive access.
 */
public abstract class AdaptedLayer extends AbstractBlock {

    private final String path;
    private final Block base;
    private final Parameter weight;
    private final Parameter bias;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final Set<String> disabled = new LinkedHashSet<>();
    private final List<String> merged = new ArrayList<>();
    private final BooleanSupplier modelCanLearn;

    /**
     * Wraps an initialised layer and freezes its parameters.
     *
     * @param path the layer's module path
     * @param base the layer
     * @param weight its weight (linear) or table (embedding)
     * @param bias its bias, or {@code null}
     * @param modelCanLearn whether any layer of the model has an adapter that trains (enabled and
     *     not merged), asked only to explain a training forward that could not learn
     */
    AdaptedLayer(String path, Block base, Parameter weight, Parameter bias, BooleanSupplier modelCanLearn) {
        this.path = path;
        this.modelCanLearn = modelCanLearn;
        this.base = addChildBlock("base", base);
        this.weight = weight;
        this.bias = bias;
        if (weight == null || !weight.isInitialized()) {
            throw new PeftException(
                    "Layer '" + path + "' is not initialised: initialise or load the model before adding adapters");
        }
        base.freezeParameters(true);
    }

    /**
     * The wrapped layer, which holds the base weight (and bias).
     *
     * @return the layer
     */
    Block base() {
        return base;
    }

    /**
     * The layer's module path.
     *
     * @return the path
     */
    public String path() {
        return path;
    }

    /**
     * k, the input features of the linear map W0 (V for an embedding).
     *
     * @return k
     */
    public abstract int inFeatures();

    /**
     * d, the output features of the linear map W0 (D for an embedding).
     *
     * @return d
     */
    public abstract int outFeatures();

    /**
     * The base weight as stored, W0 or W0 with the merged adapters in it: (d, k) for a linear
     * layer, the table (V, D) for an embedding.
     *
     * @return the weight parameter
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The layer's bias.
     *
     * @return the bias, or {@code null} when the layer has none
     */
    Parameter bias() {
        return bias;
    }

    /**
     * The stored weight as the linear map the adapters work on, W0 (d, k).
     *
     * @param stored the weight as stored
     * @return W0, or a view of it
     */
    protected abstract NDArray linearMap(NDArray stored);

    /**
     * A linear map W (d, k) in the layout the weight is stored in; the inverse of {@link
     * #linearMap}.
     *
     * @param linear W (d, k)
     * @return W as stored
     */
    protected abstract NDArray stored(NDArray linear);

    /**
     * The adapters by name, in the order they were added.
     *
     * @return the adapters
     */
    public Map<String, Adapter> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    /**
     * Adds and initialises an adapter next to the base weight's arrays.
     *
     * @param name the adapter's name
     * @param adapter the adapter
     */
    void addAdapter(String name, Adapter adapter) {
        if (adapters.containsKey(name)) {
            throw new PeftException("Layer '" + path + "' already has an adapter named '" + name + "'");
        }
        NDArray w = weight.getArray();
        adapter.initialize(w.getManager(), w.getDataType(), new Shape(1, inFeatures()));
        try (NDScope ignored = new NDScope()) {
            if (bias == null && adapter.deltaBias().isPresent()) {
                adapter.peftParameters().values().forEach(Parameter::close);
                throw new PeftException(
                        "Layer '" + path + "' has no bias, but " + adapter
                                + " trains one to merge into it (lora_bias); use it on layers with a bias, or without lora_bias");
            }
            adapter.attachToBase(linearMap(w));
        }
        adapters.put(name, addChildBlock(name, adapter));
    }

    /**
     * Removes one adapter and releases its parameters and caches.
     *
     * @param name the adapter's name
     * @throws PeftException when it is merged into the weight
     */
    void deleteAdapter(String name) {
        requireUnmerged(name);
        Adapter adapter = adapters.remove(name);
        disabled.remove(name);
        adapter.invalidateCaches();
        adapter.peftParameters().values().forEach(Parameter::close);
        BlockSurgery.removeChild(this, adapter);
    }

    /**
     * Checks that an adapter of this layer is not merged into its weight.
     *
     * @param name the adapter's name
     * @throws PeftException when it is unknown or merged
     */
    void requireUnmerged(String name) {
        requireAdapter(name);
        if (merged.contains(name)) {
            throw new PeftException(
                    "Adapter '" + name + "' is merged into layer '" + path + "': unmerge before deleting it");
        }
    }

    /**
     * Enables or disables one adapter; a disabled adapter adds nothing.
     *
     * @param name the adapter's name
     * @param enabled whether it contributes
     */
    void setEnabled(String name, boolean enabled) {
        requireAdapter(name);
        if (merged.contains(name)) {
            throw new PeftException("Adapter '" + name + "' is merged into layer '" + path
                    + "': unmerge before enabling or disabling it");
        }
        if (enabled) {
            disabled.remove(name);
        } else {
            disabled.add(name);
        }
    }

    /**
     * Whether an adapter is enabled.
     *
     * @param name the adapter's name
     * @return whether it contributes
     */
    public boolean isEnabled(String name) {
        requireAdapter(name);
        return !disabled.contains(name);
    }

    /**
     * Whether an adapter of this layer trains: it is enabled and not merged.
     *
     * @return whether the layer can learn
     */
    boolean canLearn() {
        return adapters.keySet().stream().anyMatch(name -> !disabled.contains(name) && !merged.contains(name));
    }

    /**
     * Whether any adapter is merged into the base weight.
     *
     * @return whether merged
     */
    public boolean isMerged() {
        return !merged.isEmpty();
    }

    /** Merges every enabled, unmerged adapter into the base weight, in the order they were added. */
    void merge() {
        for (Map.Entry<String, Adapter> entry : adapters.entrySet()) {
            String name = entry.getKey();
            if (!disabled.contains(name) && !merged.contains(name)) {
                replaceWeight(entry.getValue()::merge);
                addDeltaBias(entry.getValue(), 1);
                merged.add(name);
            }
        }
    }

    /**
     * Merges one adapter into the base weight for good and restarts it: W0 ← W0 + ΔW, then the
     * adapter returns to a zero update. The layer's output is unchanged.
     *
     * @param name the adapter
     */
    void mergeAndRestart(String name) {
        requireAdapter(name);
        if (isMerged()) {
            throw new PeftException(
                    "Layer '" + path + "' has merged adapters " + merged + ": unmerge before restarting");
        }
        Adapter adapter = adapters.get(name);
        try (NDScope ignored = new NDScope()) {
            // Δb before the restart zeroes the adapter; restart before the weight changes: a method without
            // restarts throws and leaves the layer as it was
            Optional<NDArray> deltaBias = adapter.deltaBias().map(NDArray::duplicate);
            replaceWeight(adapter::merge, adapter::restart);
            deltaBias.ifPresent(delta -> replaceBias(delta, 1));
        }
    }

    /**
     * Releases every adapter's parameters and caches and hands back the wrapped layer, for
     * {@link PeftModel#mergeAndUnload}; this block is unusable afterwards.
     *
     * @return the layer, holding the current (merged) weight
     */
    Block unload() {
        for (Adapter adapter : adapters.values()) {
            adapter.invalidateCaches();
            adapter.peftParameters().values().forEach(Parameter::close);
        }
        adapters.clear();
        disabled.clear();
        merged.clear();
        return base;
    }

    /** Unmerges the merged adapters in reverse order, restoring W0. */
    void unmerge() {
        while (!merged.isEmpty()) {
            String name = merged.remove(merged.size() - 1);
            replaceWeight(adapters.get(name)::unmerge);
            addDeltaBias(adapters.get(name), -1);
        }
    }

    private void replaceWeight(UnaryOperator<NDArray> update) {
        replaceWeight(update, () -> {});
    }

    /** Computes the new weight, runs {@code beforeCommit}, then writes the weight; nothing changes when either throws. */
    private void replaceWeight(UnaryOperator<NDArray> update, Runnable beforeCommit) {
        NDArray w = weight.getArray();
        try (NDScope ignored = new NDScope()) {
            NDArray updated = stored(update.apply(linearMap(w))).stopGradient();
            beforeCommit.run();
            if (updated.getDataType() != w.getDataType()) {
                updated = updated.toType(w.getDataType(), false);
            }
            w.intern(updated);
        }
        invalidateCaches();
    }

    /** Adds (sign 1) or removes (sign -1) an adapter's bias update, for methods that have one. */
    private void addDeltaBias(Adapter adapter, int sign) {
        try (NDScope ignored = new NDScope()) {
            adapter.deltaBias().ifPresent(delta -> replaceBias(delta, sign));
        }
    }

    private void replaceBias(NDArray delta, int sign) {
        NDArray b = bias.getArray();
        try (NDScope ignored = new NDScope()) {
            NDArray updated = (sign > 0 ? b.add(delta) : b.sub(delta)).stopGradient();
            b.intern(updated.getDataType() == b.getDataType() ? updated : updated.toType(b.getDataType(), false));
        }
    }

    /** Drops what the adapters cache from their parameters or the base weight. */
    void invalidateCaches() {
        adapters.values().forEach(Adapter::invalidateCaches);
    }

    private void requireAdapter(String name) {
        if (!adapters.containsKey(name)) {
            throw new PeftException(
                    "Layer '" + path + "' has no adapter named '" + name + "'. Adapters: " + adapters.keySet());
        }
    }

    /**
     * The adapters that contribute to a forward (enabled and not merged), in the order they were
     * added; checks that the layer still has its weights and that a training forward can learn.
     *
     * @param training whether this is a training forward
     * @return the active adapters, possibly none
     * @throws PeftException when the model was closed, or a training forward has every adapter of
     *     the model merged
     */
    protected final List<Adapter> activeAdapters(boolean training) {
        if (weight.getArray().isReleased()) {
            throw new PeftException("Layer '" + path + "' has no weights any more: the model (or the NDManager that "
                    + "holds its parameters) was closed. Use a model only inside its try-with-resources block");
        }
        List<Adapter> active = new ArrayList<>(adapters.size());
        adapters.forEach((name, adapter) -> {
            if (!disabled.contains(name) && !merged.contains(name)) {
                active.add(adapter);
            }
        });
        if (active.isEmpty() && training && !merged.isEmpty() && !modelCanLearn.getAsBoolean()) {
            throw new PeftException("A training forward with every adapter merged into the base weights (layer '" + path
                    + "': " + merged + "): nothing can learn. Call unmerge() before training");
        }
        return active;
    }

    /**
     * The layer's output for an input with a given set of adapters.
     *
     * @param store the parameter store
     * @param input x (…, k), or the token ids of an embedding
     * @param active the adapters to add, possibly none
     * @param training whether this is a training forward
     * @param params DJL's forward parameters
     * @return the output (…, d)
     */
    protected abstract NDArray compute(
            ParameterStore store,
            NDArray input,
            List<Adapter> active,
            boolean training,
            PairList<String, Object> params);

    /**
     * Runs the layer: with the active adapters, or, inside {@link RowAdapters#use}, each row of the
     * batch (axis 0) with the adapter it names (or none), in groups of rows that share one.
     */
    @Override
    protected final NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        List<String> rows = RowAdapters.current();
        if (rows == null) {
            return new NDList(compute(store, input, activeAdapters(training), training, params));
        }
        activeAdapters(false); // checks that the layer still has its weights
        if (training) {
            throw new PeftException("Per-row adapters are for inference; layer '" + path + "' got a training forward");
        }
        if (isMerged()) {
            throw new PeftException("Layer '" + path + "' has merged adapters " + merged
                    + ": unmerge before running rows with different adapters");
        }
        long batch = input.getShape().get(0);
        if (batch != rows.size()) {
            throw new PeftException("The batch has " + batch + " rows at layer '" + path + "' but " + rows.size()
                    + " adapter names were given, one per row");
        }
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int row = 0; row < rows.size(); row++) {
            groups.computeIfAbsent(rows.get(row), name -> new ArrayList<>()).add(row);
        }
        if (groups.size() == 1) {
            return new NDList(compute(store, input, adaptersNamed(rows.get(0)), false, params));
        }
        NDList outputs = new NDList();
        long[] order = new long[rows.size()];
        int position = 0;
        for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
            long[] indices =
                    group.getValue().stream().mapToLong(Integer::longValue).toArray();
            for (long index : indices) {
                order[(int) index] = position++;
            }
            NDArray part = input.get(new NDIndex("{}", input.getManager().create(indices)));
            outputs.add(compute(store, part, adaptersNamed(group.getKey()), false, params));
        }
        NDArray joined = NDArrays.concat(outputs, 0);
        return new NDList(joined.get(new NDIndex("{}", input.getManager().create(order))));
    }

    /** The named adapter of this layer as the list to run, or none for {@code null} or a layer without it. */
    private List<Adapter> adaptersNamed(String name) {
        Adapter adapter = name == null ? null : adapters.get(name);
        return adapter == null ? List.of() : List.of(adapter);
    }

    /**
     * The active adapters' outputs added to the layer's output, each through {@link
     * Adapter#addForward}. Outside training an adapter may overwrite the running sum: {@code
     * layerOutput} (an array of the layer's own, not an input or a parameter) or, when that is the
     * base output the adapters read, the first sum; a training forward keeps every array for the
     * backward pass.
     *
     * @param store the parameter store
     * @param active the active adapters
     * @param layerOutput what the adapters' outputs are added to
     * @param adapterInputs the adapters' inputs ({@link Adapter#inputs})
     * @param training whether this is a training forward
     * @param params DJL's forward parameters
     * @return the layer output plus every adapter's output
     */
    protected static NDArray addAdapters(
            ParameterStore store,
            List<Adapter> active,
            NDArray layerOutput,
            NDList adapterInputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray out = layerOutput;
        for (Adapter adapter : active) {
            boolean adaptersReadIt = out == adapterInputs.get(Adapter.BASE_OUTPUT);
            out = adapter.addForward(store, adapterInputs, out, training, !training && !adaptersReadIt, params);
        }
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        base.initialize(manager, dataType, inputShapes);
        for (Adapter adapter : adapters.values()) {
            adapter.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return base.getOutputShapes(inputShapes);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + path + ", " + adapters.values()
                + (isMerged() ? ", merged " + merged : "") + ")";
    }
}
