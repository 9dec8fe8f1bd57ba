package dev.peft4j.mora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AbstractAdapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.FusedOps;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * MoRA on one linear layer (docs/math.md §4): a square matrix M (r̂, r̂) between a compression and a
 * decompression, {@code h = x·W0ᵀ + b + decompress(compress(dropout(x))·Mᵀ)}, and {@code ΔW =
 * D·M·C} or its block form, as the operator computes it. The forward never builds ΔW.
 *
 * <p>M starts at zero, so a fresh adapter changes nothing; it has r̂² ≈ (d + k)·r trainable values,
 * about LoRA's count. The scaling is 1: α, rsLoRA and the initialisation setting are ignored. M's
 * PEFT tensor name is {@value #M_NAME}.
 *
 * <p>The operator is bound to the layer's shape once, when the adapter is initialised (or at
 * first use), in a sub-manager of M's manager; its tables are released when the operator is
 * switched or M's manager closes. The ReMoRA primitives {@link #resetM()} and {@link
 * #switchOperator} change M and the operator between training phases. Concurrent inference
 * forwards are safe; training, merging, the ReMoRA primitives and {@link #invalidateCaches()}
 * need exclusive access.
 *
 * <p>Eval cache ({@value MoraOptions#EVAL_CACHE}, on by default): where the operator folds its
 * compression into M ({@link Compression#foldedBlocks}; rotation on layers with k = n·r̂), the first
 * eval forward keeps the n block matrices M·R_t (k·r̂ values, r̂/d of W0's size) and later eval
 * forwards apply them in one batched product, with none of the rotation's passes over x. The
 * cache is dropped at every training forward, {@link #resetM()}, {@link #switchOperator} and
 * {@link #invalidateCaches()}; a caller that changes M by other means must call the last. The
 * first of concurrent eval forwards builds it while the others wait.
 */
public final class MoraAdapter extends AbstractAdapter {

    /** PEFT's tensor name of M (kongds/MoRA stores M as {@code lora_A}, and again as {@code lora_B}). */
    public static final String M_NAME = "lora_A.weight";

    private final CompressionShape shape;
    private final Parameter m;
    private final MoraOptions options;
    private CompressionOperator operator;
    private Binding binding;
    /** Per device, the folded blocks F_tᵀ (n, r̂, r̂), bmm's right operand, in M's manager. */
    private final Map<Device, NDArray> foldedBlocks = new HashMap<>();
    /** The array of M the folded blocks were built from; a new array (loaded, re-initialised) rebuilds them. */
    private NDArray foldedFrom;
    /** Whether the bound operator offers folded blocks; unknown until the first eval forward. */
    private boolean foldable = true;

    /**
     * Creates an uninitialised adapter, checking that the operator can bind to the layer.
     *
     * @param config the configuration: the rank r and the dropout are used
     * @param target the layer
     * @param options the operator, the rank rule and whether the generalisation is allowed
     * @throws PeftException when r̂ comes out below 1 or the shape is outside the operator's domain
     */
    public MoraAdapter(AdapterConfig config, AdapterTarget target, MoraOptions options) {
        super(config, target);
        this.options = options;
        this.operator = options.operator();
        int d = target().outFeatures();
        int k = target().inFeatures();
        int fromRule = options.rankRule().reducedRank(d, k, config().rank());
        int reducedRank = operator.adjustRank(fromRule);
        if (reducedRank < 1) {
            throw new PeftException("MoRA rank r="
                    + config().rank()
                    + " gives r̂="
                    + reducedRank
                    + " for layer '"
                    + target().path()
                    + "' (d="
                    + d
                    + ", k="
                    + k
                    + ", "
                    + options.rankRule().optionValue()
                    + " rule r̂="
                    + fromRule
                    + ", adjusted by operator '"
                    + operator.name()
                    + "'): choose a larger rank");
        }
        this.shape = new CompressionShape(d, k, reducedRank, options.generalized());
        operator.checkShape(shape);
        this.m = addParameter(Parameter.builder()
                .setName("lora_A")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(reducedRank, reducedRank))
                .optInitializer(Initializer.ZEROS)
                .build());
    }

    /**
     * r̂, the side of M.
     *
     * @return r̂
     */
    public int reducedRank() {
        return shape.reducedRank();
    }

    /**
     * The shape the operator is bound to: d, k, r̂ and whether the generalisation is allowed.
     *
     * @return the shape
     */
    public CompressionShape shape() {
        return shape;
    }

    /**
     * The compression operator in use; {@link #switchOperator} changes it.
     *
     * @return the operator
     */
    public synchronized CompressionOperator operator() {
        return operator;
    }

    /**
     * ReMoRA: sets M to zeros in place, so the adapter adds nothing until it trains again. The
     * parameter keeps its array, so an optimizer's references to it stay valid.
     */
    public void resetM() {
        InPlace.zero(m.getArray());
        invalidateCaches();
    }

    /**
     * ReMoRA: continues with another compression operator on the same M, for example the next
     * official type after merging and {@link #resetM()}. The new operator is bound to the layer
     * now if the adapter is initialised, and the previous binding's tables are released.
     *
     * @param next the operator to use from now on
     * @throws PeftException when {@code next} needs another r̂ (rotation needs it even) or cannot
     *     bind to the layer's shape
     */
    public synchronized void switchOperator(CompressionOperator next) {
        Objects.requireNonNull(next, "next");
        int needed = next.adjustRank(shape.reducedRank());
        if (needed != shape.reducedRank()) {
            throw new PeftException("Operator '"
                    + next.name()
                    + "' needs r̂="
                    + needed
                    + " but layer '"
                    + target().path()
                    + "' has M of "
                    + shape.reducedRank()
                    + "×"
                    + shape.reducedRank()
                    + ": switch only between operators that keep r̂");
        }
        next.checkShape(shape);
        invalidateCaches();
        foldable = true;
        Binding previous = binding;
        binding = previous == null ? null : bind(next, m.getArray());
        operator = next;
        if (previous != null) {
            previous.close();
        }
    }

    /**
     * ReMoRA (MoRA paper §5.3), after the layer merged M into W0: M returns to zero and a sharing
     * operator (official types 1–4) moves to the next type of the cycle ({@value
     * MoraOptions#REMORA_TYPES}: 1→2→3→4→1 or 1↔2). Rotation and the paper-only operators keep
     * their operator; only M is reset.
     */
    @Override
    public void restart() {
        resetM();
        OptionalInt type = operator().moraType();
        if (type.isPresent() && type.getAsInt() <= 4) {
            switchOperator(MoraOperators.byMoraType(options.plugins(), options.nextType(type.getAsInt())));
        }
    }

    /** The configuration's options with the operator now in use (and its {@code mora_type}). */
    @Override
    public Map<String, String> currentOptions() {
        Map<String, String> current = new TreeMap<>(config().options());
        CompressionOperator now = operator();
        current.put(MoraOptions.OPERATOR, now.name());
        current.remove(MoraOptions.MORA_TYPE);
        now.moraType().ifPresent(type -> current.put(MoraOptions.MORA_TYPE, Integer.toString(type)));
        return current;
    }

    /**
     * Initialises M and binds the operator to the layer in a sub-manager of M's manager.
     *
     * @param manager the manager of M
     * @param dataType M's data type
     * @param inputShapes the input shapes
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dataType, inputShapes);
        invalidateCaches();
        compression();
    }

    private synchronized Compression compression() {
        if (binding == null) {
            binding = bind(operator, m.getArray());
        }
        return binding.compression();
    }

    private Binding bind(CompressionOperator next, NDArray mValue) {
        NDManager tables = mValue.getManager().newSubManager();
        try {
            return new Binding(next.bind(shape, tables), tables);
        } catch (RuntimeException e) {
            tables.close();
            throw e;
        }
    }

    /** MoRA's branch reads x only. */
    @Override
    public boolean usesBaseOutput() {
        return false;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = dropout(inputs.get(INPUT), training);
        Compression compression = compression();
        NDArray folded = foldedBlocks(store, input, training);
        NDArray reduced;
        if (folded == null) {
            reduced = Linear.linear(compression.compress(input), store.getValue(m, input.getDevice(), training))
                    .head();
        } else {
            Shape blocks = input.getShape()
                    .slice(0, input.getShape().dimension() - 1)
                    .addAll(folded.getShape().slice(0, 2));
            reduced = foldedProduct(input, folded).reshape(blocks);
        }
        return new NDList(compression.decompress(reduced));
    }

    /**
     * When decompression only reshapes ({@link Compression#decompressIsReshape()}), the product
     * with M is added to the layer's output, seen as (…, n, r̂): by the matmul itself ({@link
     * FusedOps#addLinear}), or in eval with the folded blocks, in place when allowed; otherwise the
     * update is added.
     */
    @Override
    public NDArray addForward(
            ParameterStore store,
            NDList inputs,
            NDArray layerOutput,
            boolean training,
            boolean overwritable,
            PairList<String, Object> params) {
        Compression compression = compression();
        if (!compression.decompressIsReshape()) {
            return super.addForward(store, inputs, layerOutput, training, overwritable, params);
        }
        NDArray input = dropout(inputs.get(INPUT), training);
        NDArray folded = foldedBlocks(store, input, training);
        if (folded != null) {
            NDArray product = foldedProduct(input, folded);
            NDArray target = layerOutput.reshape(product.getShape());
            return (overwritable ? target.addi(product) : target.add(product)).reshape(layerOutput.getShape());
        }
        NDArray compressed = compression.compress(input);
        NDArray mValue = store.getValue(m, input.getDevice(), training);
        return FusedOps.addLinear(layerOutput.reshape(compressed.getShape()), compressed, mValue)
                .reshape(layerOutput.getShape());
    }

    /**
     * The eval cache's folded blocks F_tᵀ (n, r̂, r̂) on the input's device, built at the first eval
     * forward after a change; null in training (which drops them), with the cache off, or when the
     * operator does not fold.
     */
    private synchronized NDArray foldedBlocks(ParameterStore store, NDArray input, boolean training) {
        if (training || !options.evalCache() || !foldable) {
            invalidateCaches();
            return null;
        }
        if (foldedFrom != m.getArray()) {
            invalidateCaches();
            foldedFrom = m.getArray();
        }
        NDArray cached = foldedBlocks.get(input.getDevice());
        if (cached != null) {
            return cached;
        }
        try (NDScope ignored = new NDScope()) {
            NDArray mValue = store.getValue(m, input.getDevice(), false).stopGradient();
            Optional<NDArray> folded = compression().foldedBlocks(mValue);
            foldable = folded.isPresent();
            if (!foldable) {
                return null;
            }
            cached = checkedFoldedBlocks(folded.get()).transpose(0, 2, 1).duplicate();
            cached.attach(m.getArray().getManager());
            NDScope.unregister(cached);
        }
        foldedBlocks.put(input.getDevice(), cached);
        return cached;
    }

    /** The operator's folded blocks, which must be (k/r̂, r̂, r̂). */
    private NDArray checkedFoldedBlocks(NDArray folded) {
        int reducedRank = shape.reducedRank();
        Shape expected = new Shape(shape.inFeatures() / reducedRank, reducedRank, reducedRank);
        if (shape.inFeatures() % reducedRank != 0 || !folded.getShape().equals(expected)) {
            throw new PeftException("Operator '"
                    + operator().name()
                    + "' folded its compression into blocks of shape "
                    + folded.getShape()
                    + " for layer '"
                    + target().path()
                    + "' (k="
                    + shape.inFeatures()
                    + ", r̂="
                    + reducedRank
                    + "): expected "
                    + expected
                    + ", one r̂×r̂ matrix per block of the input");
        }
        return folded;
    }

    /**
     * {@code x_t·F_tᵀ} for every block t: x (…, n·r̂) seen block-first (n, rows, r̂), one batched
     * product, and the result seen row-first again (rows, n, r̂), views on PyTorch.
     */
    private static NDArray foldedProduct(NDArray input, NDArray folded) {
        long blocks = folded.getShape().get(0);
        long reducedRank = folded.getShape().get(1);
        return input.reshape(-1, blocks, reducedRank)
                .transpose(1, 0, 2)
                .matMul(folded)
                .transpose(1, 0, 2);
    }

    /** Drops the eval cache's folded blocks. */
    @Override
    public synchronized void invalidateCaches() {
        foldedBlocks.values().forEach(NDArray::close);
        foldedBlocks.clear();
    }

    /**
     * ΔW as the operator computes it from M, without scaling; the temporaries are closed before
     * it returns. A result no larger than M may be M itself or a slice of it (a view on PyTorch),
     * for example truncation's when d, k ≤ r̂, so it is copied; a larger one cannot share M's
     * memory.
     *
     * @param baseWeight ignored: MoRA's update does not depend on W0
     * @return ΔW (d, k), a new array in M's manager that shares no memory with M
     */
    @Override
    public NDArray deltaWeight(NDArray baseWeight) {
        Compression compression = compression();
        NDArray mValue = m.getArray();
        NDArray delta;
        try (NDScope ignored = new NDScope()) {
            delta = compression.deltaWeight(mValue);
            if (delta.size() <= mValue.size()) {
                delta = delta.duplicate();
            }
            NDScope.unregister(delta);
        }
        NDScope.register(delta);
        return delta;
    }

    @Override
    public Map<String, Parameter> peftParameters() {
        return Map.of(M_NAME, m);
    }

    @Override
    public String toString() {
        return "MoraAdapter("
                + target().path()
                + ", r="
                + config().rank()
                + ", r̂="
                + shape.reducedRank()
                + ", operator="
                + operator().name()
                + ")";
    }

    /** An operator bound to the layer, with the sub-manager that owns its tables. */
    private record Binding(Compression compression, NDManager tables) implements AutoCloseable {
        @Override
        public void close() {
            compression.close();
            tables.close();
        }
    }
}
