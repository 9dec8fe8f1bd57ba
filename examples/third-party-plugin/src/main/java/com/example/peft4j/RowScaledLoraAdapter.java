package com.example.peft4j;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LoRA with a learned per-row scale on one linear layer: LoRA's low-rank update, each of whose d
 * output rows is multiplied by a trained factor g<sub>o</sub>.
 *
 * <pre>
 * h  = x·W0ᵀ + b + g ⊙ (s·(dropout(x)·Aᵀ)·Bᵀ)
 * ΔW = s·diag(g)·B·A
 * </pre>
 *
 * with A (r, k), B (d, r), g (d) and s = α/r (α/√r with rsLoRA). A starts as in PEFT's LoRA
 * (Kaiming-uniform U(−1/√k, 1/√k), or N(0, 1/r) for {@code gaussian}), B at zero and g at one, so a
 * fresh adapter is the identity and the first steps train like LoRA. It has r·(d + k) + d trainable
 * values. Its PEFT tensor names are {@value #A_NAME}, {@value #B_NAME} (so that PEFT-format loaders
 * recognise the module) and {@value #SCALE_NAME}.
 *
 * <p>Concurrent inference forwards are safe; training needs exclusive access.
 */
public final class RowScaledLoraAdapter extends AbstractBlock implements Adapter {

    /** PEFT's tensor name of A. */
    public static final String A_NAME = "lora_A.weight";
    /** PEFT's tensor name of B. */
    public static final String B_NAME = "lora_B.weight";
    /** The tensor name of the per-row scale g. */
    public static final String SCALE_NAME = "lora_row_scale";

    private final AdapterConfig config;
    private final AdapterTarget target;
    private final Parameter a;
    private final Parameter b;
    private final Parameter scale;
    private final float scaling;

    /**
     * Creates an uninitialised adapter.
     *
     * @param config r, α, rsLoRA, dropout and the initialisation of A
     * @param target the layer
     */
    public RowScaledLoraAdapter(AdapterConfig config, AdapterTarget target) {
        this.config = config;
        this.target = target;
        int r = config.rank();
        int k = target.inFeatures();
        Initializer aInit = switch (config.init()) {
            case KAIMING_UNIFORM -> new UniformInitializer((float) (1 / Math.sqrt(k)));
            case GAUSSIAN -> new NormalInitializer(1f / r);
        };
        this.a = addParameter(parameter("lora_A", new Shape(r, k), aInit));
        this.b = addParameter(parameter("lora_B", new Shape(target.outFeatures(), r), Initializer.ZEROS));
        this.scale = addParameter(parameter(SCALE_NAME, new Shape(target.outFeatures()), Initializer.ONES));
        this.scaling = config.scaling();
    }

    private static Parameter parameter(String name, Shape shape, Initializer initializer) {
        return Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.WEIGHT)
                .optShape(shape)
                .optInitializer(initializer)
                .build();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(INPUT);
        if (training && config.dropout() > 0) {
            x = Dropout.dropout(x, config.dropout(), true).head();
        }
        NDArray aValue = store.getValue(a, x.getDevice(), training);
        NDArray bValue = store.getValue(b, x.getDevice(), training);
        NDArray g = store.getValue(scale, x.getDevice(), training);
        NDArray reduced = Linear.linear(x, aValue).head().mul(scaling);
        return new NDList(Linear.linear(reduced, bValue).head().mul(g));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[BASE_OUTPUT]};
    }

    @Override
    public AdapterTarget target() {
        return target;
    }

    @Override
    public AdapterConfig config() {
        return config;
    }

    /**
     * {@code s·diag(g)·B·A}, computed as (g ⊙ B)·A scaled: O(d·r·k), no d×d matrix.
     *
     * @param baseWeight ignored: the update does not depend on W0
     * @return ΔW (d, k)
     */
    @Override
    public NDArray deltaWeight(NDArray baseWeight) {
        return b.getArray()
                .mul(scale.getArray().expandDims(1))
                .matMul(a.getArray())
                .mul(scaling);
    }

    @Override
    public Map<String, Parameter> peftParameters() {
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        parameters.put(A_NAME, a);
        parameters.put(B_NAME, b);
        parameters.put(SCALE_NAME, scale);
        return parameters;
    }

    @Override
    public String toString() {
        return "RowScaledLoraAdapter(" + target.path() + ", r=" + config.rank() + ", s=" + scaling + ")";
    }
}
