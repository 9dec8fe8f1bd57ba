package dev.peft4j.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
        NDArray aValue = store.getValue(a, input.getDevice(), training);
        NDArray bValue = store.getValue(b, input.getDevice(), training);
        NDArray projected = Linear.linear(input, aValue).head();
        // the scaling as an array: DJL's PyTorch mul(Number) wraps a buffer the GC may free before the backward pass
        // reads it
        NDArray reduced = projected.mul(projected.getManager().create(scaling));
        return Linear.linear(reduced, bValue).head();
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
        NDArray aValue = store.getValue(a, ids.getDevice(), training);
        NDArray bValue = store.getValue(b, ids.getDevice(), training);
        // Results join their first operand's manager: keep the transposed view in the ids', not A's.
        NDArray columns = aValue.transpose();
        columns.attach(ids.getManager());
        NDArray projected =
                Embedding.embedding(ids, columns, SparseFormat.DENSE).singletonOrThrow();
        // the scaling as an array, as in forward(…)
        NDArray reduced = projected.mul(projected.getManager().create(scaling));
        return Linear.linear(reduced, bValue).head();
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
        NDArray aValue = store.getValue(a, input.getDevice(), training);
        NDArray bValue = store.getValue(b, input.getDevice(), training);
        NDArray projected = Linear.linear(input, aValue).head();
        // the scaling as an array: DJL's PyTorch mul(Number) wraps a buffer the GC may free before the backward pass
        // reads it
        NDArray reduced = projected.mul(projected.getManager().create(scaling));
        // Results join their first operand's manager: keep these in the input's, not B's.
        NDArray column = rowScale.reshape(-1, 1);
        column.attach(input.getManager());
        return Linear.linear(reduced, column.mul(bValue)).head();
    }

    /**
     * The row norms of {@code W0 + s·B·A} without forming that (d, k) matrix: {@code ‖W0‖² +
     * 2s·Σ_j B ⊙ (W0·Aᵀ) + s²·Σ_j (B·(A·Aᵀ)) ⊙ B} per row, in O(d·k·r) work and O(d·r) memory.
     *
     * @param baseWeight W0 (d, k)
     * @param baseNorms ‖W0‖ per row (d), which the caller may keep while W0 does not change
     * @param store the parameter store of the forward pass
     * @param device the device of the pass
     * @param training whether this is a training pass
     * @return the norms (d)
     */
    public NDArray rowNormsWith(
            NDArray baseWeight, NDArray baseNorms, ParameterStore store, Device device, boolean training) {
        NDArray aValue = store.getValue(a, device, training);
        NDArray bValue = store.getValue(b, device, training);
        NDArray cross = bValue.mul(Linear.linear(baseWeight, aValue).head()).sum(new int[] {1});
        NDArray update =
                bValue.matMul(aValue.matMul(aValue.transpose())).mul(bValue).sum(new int[] {1});
        // Constants as engine-allocated arrays: with DoRA's norm gradient on these products are in the backward
        // graph, and the caller frees its intermediates (an NDScope) before backward; an array made from a Java
        // number (create, mul(Number)) wraps a Java buffer that the garbage collector then frees under the engine.
        NDManager manager = cross.getManager();
        NDArray squared = baseNorms
                .mul(baseNorms)
                .add(cross.mul(manager.full(new Shape(), 2 * scaling)))
                .add(update.mul(manager.full(new Shape(), scaling * scaling)));
        return squared.maximum(manager.zeros(new Shape())).sqrt();
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
