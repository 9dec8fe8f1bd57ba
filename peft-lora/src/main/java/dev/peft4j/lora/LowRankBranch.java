package dev.peft4j.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.initializer.UniformInitializer;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.CachedScalar;
import dev.peft4j.spi.FusedOps;
import dev.peft4j.spi.WeightInit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LoRA's low-rank branch {@code s·(x·Aᵀ)·Bᵀ} with A (r, k) and B (d, r), shared by every method
 * built on it (LoRA, DoRA). The owning block registers {@link #peftParameters()} as its own.
 */
public final class LowRankBranch {

    /** PEFT's tensor name of A. */
    public static final String A_NAME = "lora_A.weight";
    /** PEFT's tensor name of B. */
    public static final String B_NAME = "lora_B.weight";

    private final Parameter a;
    private final Parameter b;
    private final float scaling;
    private final CachedScalar scalingArray;
    private final CachedScalar zero = new CachedScalar(0f);

    /**
     * Creates the branch's parameters: on a linear layer A initialised as the configuration says
     * and B at zero; on an embedding, as PEFT does, A at zero and B standard normal (the initialisation
     * of {@code nn.Embedding}).
     *
     * @param config the rank, α, rsLoRA and initialisation
     * @param target the layer's shape
     */
    public LowRankBranch(AdapterConfig config, AdapterTarget target) {
        int r = config.rank();
        a = Parameter.builder()
                .setName("lora_A")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(r, target.inFeatures()))
                .optInitializer(
                        target.embedding() ? Initializer.ZEROS : initializerOfA(config.init(), r, target.inFeatures()))
                .build();
        b = Parameter.builder()
                .setName("lora_B")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(target.outFeatures(), r))
                .optInitializer(target.embedding() ? new NormalInitializer(1f) : Initializer.ZEROS)
                .build();
        scaling = config.scaling();
        scalingArray = new CachedScalar(scaling);
    }

    private static Initializer initializerOfA(WeightInit init, int rank, int inFeatures) {
        return switch (init) {
            case KAIMING_UNIFORM -> new UniformInitializer((float) (1 / Math.sqrt(inFeatures)));
            case GAUSSIAN -> new NormalInitializer(1f / rank);
        };
    }

    /**
     * The branch's output {@code s·(x·Aᵀ)·Bᵀ}, with the scaling folded into the rank-sized
     * intermediate.
     *
     * @param store the parameter store of the forward pass
     * @param input x (…, k), already through dropout where the method uses it
     * @param training whether this is a training pass
     * @return (…, d)
     */
    public NDArray forward(ParameterStore store, NDArray input, boolean training) {
        return Linear.linear(reduced(store, input, training), value(b, store, input, training))
                .head();
    }

    /**
     * {@code addend + s·(x·Aᵀ)·Bᵀ}, the branch's output added to another array by the second
     * matmul itself ({@link FusedOps#addLinear}), without a separate pass over the output.
     *
     * @param addend (…, d), left unchanged
     * @param store the parameter store of the forward pass
     * @param input x (…, k), already through dropout where the method uses it
     * @param training whether this is a training pass
     * @return a new array (…, d)
     */
    public NDArray forwardAddedTo(NDArray addend, ParameterStore store, NDArray input, boolean training) {
        return FusedOps.addLinear(addend, reduced(store, input, training), value(b, store, input, training));
    }

    /**
     * The branch's output on an embedding, {@code s·Aᵀ[ids]·Bᵀ}: the rows of Aᵀ (V, r) looked up
     * by token id, which is x·Aᵀ for the one-hot x, without forming x.
     *
     * @param store the parameter store of the forward pass
     * @param ids token ids (…), integer
     * @param training whether this is a training pass
     * @return (…, D)
     */
    public NDArray forwardOnIds(ParameterStore store, NDArray ids, boolean training) {
        return Linear.linear(reducedOnIds(store, ids, training), value(b, store, ids, training))
                .head();
    }

    /**
     * {@code addend + s·Aᵀ[ids]·Bᵀ}, the embedding branch's output added by its matmul ({@link
     * FusedOps#addLinear}).
     *
     * @param addend (…, D), left unchanged
     * @param store the parameter store of the forward pass
     * @param ids token ids (…), integer
     * @param training whether this is a training pass
     * @return a new array (…, D)
     */
    public NDArray forwardOnIdsAddedTo(NDArray addend, ParameterStore store, NDArray ids, boolean training) {
        return FusedOps.addLinear(addend, reducedOnIds(store, ids, training), value(b, store, ids, training));
    }

    /**
     * The branch's output with every output row scaled, {@code (s·(x·Aᵀ)·Bᵀ) ⊙ rowScale}, the
     * scale folded into B (d·r values) rather than applied to the output.
     *
     * @param store the parameter store of the forward pass
     * @param input x (…, k)
     * @param training whether this is a training pass
     * @param rowScale one factor per output row (d)
     * @return (…, d)
     */
    public NDArray forward(ParameterStore store, NDArray input, boolean training, NDArray rowScale) {
        NDArray reduced = reduced(store, input, training);
        // Results join their first operand's manager: keep these in the input's, not B's.
        NDArray column = rowScale.reshape(-1, 1);
        column.attach(input.getManager());
        return Linear.linear(reduced, column.mul(value(b, store, input, training)))
                .head();
    }

    /** {@code s·x·Aᵀ} (…, r). */
    private NDArray reduced(ParameterStore store, NDArray input, boolean training) {
        NDArray projected =
                Linear.linear(input, value(a, store, input, training)).head();
        return scaled(projected);
    }

    /** {@code s·Aᵀ[ids]} (…, r). */
    private NDArray reducedOnIds(ParameterStore store, NDArray ids, boolean training) {
        // Results join their first operand's manager: keep the transposed view in the ids', not A's.
        NDArray columns = value(a, store, ids, training).transpose();
        columns.attach(ids.getManager());
        NDArray projected =
                Embedding.embedding(ids, columns, SparseFormat.DENSE).singletonOrThrow();
        return scaled(projected);
    }

    /**
     * An array times the scaling s, the constant kept as an engine array ({@link CachedScalar}), so
     * that no array is made from a Java number per call.
     *
     * @param value any array
     * @return {@code s·value}, in the value's manager
     */
    public NDArray scaled(NDArray value) {
        return value.mul(scalingArray.like(value, a.getArray().getManager()));
    }

    private static NDArray value(Parameter parameter, ParameterStore store, NDArray input, boolean training) {
        return store.getValue(parameter, input.getDevice(), training);
    }

    /**
     * The row norms of {@code W0 + s·B·A} without forming that (d, k) matrix: with {@code Â = s·A},
     * {@code n² = ‖W0‖² + Σ_j B ⊙ (2·W0·Âᵀ + B·(Â·Âᵀ))} per row, in O(d·k·r) work and O(d·r +
     * r·k) memory.
     *
     * @param baseWeight W0 (d, k)
     * @param baseSquaredNorms ‖W0‖² per row (d), which the caller may keep while W0 does not change
     * @param store the parameter store of the forward pass
     * @param device the device of the pass
     * @param training whether this is a training pass
     * @param gradient whether the norms take part in the backward pass; without, they are computed
     *     from detached A and B, so autograd records none of these operations
     * @return the norms (d)
     */
    public NDArray rowNormsWith(
            NDArray baseWeight,
            NDArray baseSquaredNorms,
            ParameterStore store,
            Device device,
            boolean training,
            boolean gradient) {
        NDArray aValue = store.getValue(a, device, training);
        NDArray bValue = store.getValue(b, device, training);
        if (!gradient) {
            aValue = aValue.stopGradient();
            bValue = bValue.stopGradient();
        }
        // Constants as cached engine arrays: with the gradient on these products are in the backward graph, which
        // outlives the caller's intermediates; an array made from a Java number wraps a buffer the garbage collector
        // may free under the engine.
        NDArray scaledA = scaled(aValue);
        NDArray cross = Linear.linear(baseWeight, scaledA).head();
        NDArray gram = Linear.linear(scaledA, scaledA).head();
        NDArray squared = bValue.mul(bValue.matMul(gram).add(cross).add(cross))
                .sum(new int[] {1})
                .add(baseSquaredNorms);
        return squared.maximum(zero.like(squared, a.getArray().getManager())).sqrt();
    }

    /**
     * The branch's weight-space update {@code s·B·A} from the parameters' values, with the scaling
     * folded into the rank-sized A.
     *
     * @return (d, k)
     */
    public NDArray deltaWeight() {
        return b.getArray().matMul(a.getArray().mul(scaling));
    }

    /**
     * Closes the constant arrays the branch keeps between forwards (the scaling and zero); the
     * owning adapter calls it from {@code invalidateCaches()}, which the layer also calls when it
     * deletes the adapter.
     */
    public void invalidateCaches() {
        scalingArray.release();
        zero.release();
    }

    /**
     * The scaling s.
     *
     * @return α/r or α/√r
     */
    public float scaling() {
        return scaling;
    }

    /**
     * A and B by their PEFT tensor names.
     *
     * @return {@code lora_A.weight} and {@code lora_B.weight}
     */
    public Map<String, Parameter> peftParameters() {
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        parameters.put(A_NAME, a);
        parameters.put(B_NAME, b);
        return parameters;
    }
}
