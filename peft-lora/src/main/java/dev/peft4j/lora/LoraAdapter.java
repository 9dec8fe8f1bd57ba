package dev.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.spi.AbstractAdapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import java.util.Map;

/**
 * LoRA on one linear layer (docs/math.md §2): {@code h = x·W0ᵀ + b + s·(dropout(x)·Aᵀ)·Bᵀ} and {@code
 * ΔW = s·B·A}. It has r·(d + k) trainable values.
 */
public final class LoraAdapter extends AbstractAdapter {

    private final LowRankBranch branch;

    /**
     * Creates an uninitialised adapter.
     *
     * @param config the configuration
     * @param target the layer
     */
    public LoraAdapter(AdapterConfig config, AdapterTarget target) {
        super(config, target);
        this.branch = new LowRankBranch(config, target);
        branch.peftParameters().values().forEach(this::addParameter);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.get(INPUT);
        if (training && config().dropout() > 0) {
            input = Dropout.dropout(input, config().dropout(), true).head();
        }
        return new NDList(branch.forward(store, input, training));
    }

    @Override
    public NDArray deltaWeight(NDArray baseWeight) {
        return branch.deltaWeight();
    }

    @Override
    public Map<String, Parameter> peftParameters() {
        return branch.peftParameters();
    }

    @Override
    public String toString() {
        return "LoraAdapter(" + target().path() + ", r=" + config().rank() + ", s=" + branch.scaling() + ")";
    }
}
